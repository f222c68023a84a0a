/**
 * Representative values for placeholders that decide which index can serve a statement.
 * pg_stat_statements keeps no parameter values, so they come from the table itself, read
 * with a bounded sample, and are used only to plan the statement: the report says where each
 * came from and never shows a value taken from a row (a LIKE prefix may be personal data; a
 * JSON key is part of the schema and has to appear in the index anyway).
 */
import { quoteIdent, quoteLiteral } from "./ident.ts";
import type { Need } from "./plan-usage.ts";
import type { SessionExecutor } from "./types.ts";

/** Marks the samples in pg_stat_statements so later runs leave them out of the workload (workload.ts). */
export const SAMPLE_TAG = "/* netra-advisor sample */";
/** Rows read per sample: enough for the common keys and prefixes, cheap on any table. */
const SAMPLE_ROWS = 2_000;

export interface Representative {
  param: number;
  /** The SQL literal put in place of the placeholder. */
  literal: string;
  /** Where it came from, without the value when it came from a row. */
  source: string;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function representativeFor(db: SessionExecutor, need: Exclude<Need, { kind: "eq-value" }>): Promise<Representative | undefined> {
  const table = `${quoteIdent(need.table.schema)}.${quoteIdent(need.table.table)}`;
  if (need.kind === "json-key") {
    const column = quoteIdent(need.column);
    const { rows } = await db.query(
      `${SAMPLE_TAG} SELECT k FROM (SELECT jsonb_object_keys(${column}::jsonb) AS k
                      FROM (SELECT ${column} FROM ${table} WHERE jsonb_typeof(${column}::jsonb) = 'object' LIMIT ${SAMPLE_ROWS}) s) keys
       GROUP BY k ORDER BY count(*) DESC, k LIMIT 1`,
    );
    const key = rows[0]?.k;
    if (typeof key !== "string") return undefined;
    return { param: need.param, literal: quoteLiteral(key), source: `JSON key ${quoteLiteral(key)}: the most common key of ${need.table.table}.${need.column} in ${SAMPLE_ROWS} sampled rows` };
  }
  // The key is a column or Postgres' own deparse of an expression over the table's columns.
  const key = need.key.startsWith("(") ? need.key : quoteIdent(need.key);
  // A prefix search worth an index is a selective one: the shortest prefix of a sampled value
  // (the middle of the sorted sample) that at most 1% of the sample shares.
  const { rows } = await db.query(
    `${SAMPLE_TAG} SELECT (${key})::text AS v FROM (SELECT * FROM ${table} LIMIT ${SAMPLE_ROWS}) s WHERE (${key}) IS NOT NULL`,
  );
  const values = rows.map((r) => String(r.v)).sort();
  const middle = values[Math.floor(values.length / 2)];
  if (middle === undefined || middle.length < 3) return undefined;
  let prefix = middle;
  for (let length = 3; length <= middle.length; length++) {
    const candidate = middle.slice(0, length);
    if (values.filter((v) => v.startsWith(candidate)).length <= Math.max(1, values.length / 100)) {
      prefix = candidate;
      break;
    }
  }
  return {
    param: need.param,
    literal: quoteLiteral(`${escapeLike(prefix)}%`),
    source: `LIKE pattern on ${need.table.table}.${need.key}: a selective prefix search (the shortest prefix of a sampled value that at most 1% of ${SAMPLE_ROWS} sampled rows share; value not stored)`,
  };
}

/** The statement with the given placeholders replaced by literals and the others renumbered from $1. */
export function specialise(sql: string, values: readonly Representative[]): string {
  const byParam = new Map(values.map((v) => [v.param, v.literal]));
  const remaining = [...new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))].filter((n) => !byParam.has(n)).sort((a, b) => a - b);
  const renumber = new Map(remaining.map((n, i) => [n, i + 1]));
  return sql.replace(/\$(\d+)/g, (_m, digits: string) => {
    const n = Number(digits);
    return byParam.get(n) ?? `$${renumber.get(n)}`;
  });
}
