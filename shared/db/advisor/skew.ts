/**
 * Representative values for `column = $n` on a skewed column. A generic plan assumes every
 * value is as common as the average one, so for a status column where one value is 95% of
 * the rows it plans a scan of a quarter of the table and no index looks worth building, while
 * at run time each call is planned for its own value: the rare values want the index, the
 * common one does not. Which values the workload asks for is not kept by pg_stat_statements,
 * but its rows per call are: each candidate value (the most common and the rarest of the
 * column's statistics, pg_stats) is planned, and the one whose estimated rows match the
 * statement's mean rows per call is the one costed. When the rows do not tell them apart
 * (an aggregate, a LIMIT), the rare value is costed: an index serves only the calls for rare
 * values and the common value keeps its plan; verification after apply (verify.ts) drops an
 * index the workload's values did not use. The values themselves may be personal data: the
 * source names the statistics and the share of rows, never the value.
 */
import { quoteLiteral } from "./ident.ts";
import type { Need } from "./plan-usage.ts";
import type { Planner } from "./planner.ts";
import { SAMPLE_TAG, specialise, type Representative } from "./representative.ts";
import type { SessionExecutor, WorkloadStatement } from "./types.ts";

/** The most common value must hold this share of the rows ... */
const MIN_COMMON_SHARE = 0.1;
/** ... and be this many times as common as the rarest one in the statistics: otherwise the generic plan is right. */
const MIN_SKEW_RATIO = 10;
/** Estimated rows within this factor of each other do not tell two values apart. */
const INDISTINCT_FACTOR = 2;

interface CommonValue {
  value: string;
  share: number;
}

/** The column's most common values with their shares (pg_stats), most common first. */
async function commonValues(db: SessionExecutor, need: Extract<Need, { kind: "eq-value" }>): Promise<CommonValue[]> {
  const { rows } = await db.query(
    `${SAMPLE_TAG} SELECT u.v AS value, u.f::float8 AS share
     FROM pg_stats s, unnest(s.most_common_vals::text::text[], s.most_common_freqs) WITH ORDINALITY AS u(v, f, n)
     WHERE s.schemaname = $1 AND s.tablename = $2 AND s.attname = $3 AND NOT s.inherited
     ORDER BY u.n`,
    [need.table.schema, need.table.table, need.column],
  );
  return rows.filter((r) => typeof r.value === "string").map((r) => ({ value: String(r.value), share: Number(r.share) }));
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.01 ? 2 : 1)}%`;
}

/**
 * A value to cost the statement with when `need.column` is skewed, planned together with the
 * representatives already chosen (`fixed`); undefined when the column is not skewed, or when
 * its statistics cannot be read or planned with (an array or custom type's text form): the
 * generic plan then stands, as it would without this step.
 */
export async function skewedValue(
  db: SessionExecutor,
  planner: Planner,
  statement: Pick<WorkloadStatement, "query" | "calls" | "rows">,
  need: Extract<Need, { kind: "eq-value" }>,
  fixed: readonly Representative[],
): Promise<Representative | undefined> {
  return chooseValue(db, planner, statement, need, fixed).catch(() => undefined);
}

async function chooseValue(
  db: SessionExecutor,
  planner: Planner,
  statement: Pick<WorkloadStatement, "query" | "calls" | "rows">,
  need: Extract<Need, { kind: "eq-value" }>,
  fixed: readonly Representative[],
): Promise<Representative | undefined> {
  const values = await commonValues(db, need);
  const common = values[0];
  const rare = values[values.length - 1];
  if (common === undefined || rare === undefined || values.length < 2) return undefined;
  if (common.share < MIN_COMMON_SHARE || common.share < rare.share * MIN_SKEW_RATIO) return undefined;
  const estimate = async (value: CommonValue) => {
    const plan = await planner.plan(specialise(statement.query, [...fixed, { param: need.param, literal: quoteLiteral(value.value), source: "" }]), false);
    return Math.max(1, Number(plan["Plan Rows"]));
  };
  const [commonRows, rareRows] = [await estimate(common), await estimate(rare)];
  const observed = Math.max(1, statement.rows / Math.max(1, statement.calls));
  const skew = `${need.table.table}.${need.column} is skewed (its most common value is ${percent(common.share)} of the rows, the rarest in pg_stats ${percent(rare.share)})`;
  const distinct = Math.max(commonRows, rareRows) / Math.min(commonRows, rareRows) >= INDISTINCT_FACTOR;
  const distance = (rows: number) => Math.abs(Math.log(rows) - Math.log(observed));
  const chosen = distinct && distance(commonRows) < distance(rareRows) ? common : rare;
  const which = chosen === common ? "the most common value" : "the rarest value";
  const why = distinct
    ? `its estimated ${Math.round(chosen === common ? commonRows : rareRows)} rows match the statement's ${Math.round(observed)} rows per call in pg_stat_statements`
    : "the statement's rows per call in pg_stat_statements do not tell the values apart, and an index serves only the rare ones (verification after apply drops it if the workload asked for the common one)";
  return { param: need.param, literal: quoteLiteral(chosen.value), source: `${skew}: costed with ${which}, as ${why}; value not stored` };
}
