/**
 * Per statement, what it does with each table, from two readers: the JS parser
 * (candidates.ts, cheap, no database) and Postgres' own generic plan (plan-usage.ts), which
 * reads anything Postgres can PREPARE, including what the JS parser cannot. Placeholders
 * that decide the index (a JSON key, a LIKE pattern, the value compared with a skewed column)
 * get representative values and the statement is planned again with them; that text is the
 * one the what-if costs. Every
 * statement ends with candidates or a stated reason.
 */
import { tableKey, type Catalog } from "./catalog.ts";
import { analyseStatement, candidatesFor, type TableUsage } from "./candidates.ts";
import { candidateKey } from "./ident.ts";
import { usagesFromPlan } from "./plan-usage.ts";
import type { Planner } from "./planner.ts";
import { representativeFor, specialise, type Representative } from "./representative.ts";
import { skewedValue } from "./skew.ts";
import { messageOf } from "./workload.ts";
import type { IndexCandidate, SessionExecutor, StatementCoverage, WorkloadStatement } from "./types.ts";

export interface AnalysedStatement {
  queryid: string;
  usages: TableUsage[] | undefined;
  /** The text to cost when placeholders got representative values (never stored: it may hold a value from a row). */
  costQuery?: string;
  /** Why there are no usages, when there are none. */
  reason?: string;
}

function mergeInto(target: TableUsage, source: TableUsage): void {
  for (const field of ["eq", "range", "sort", "sortDesc", "group", "like", "partial"] as const) {
    for (const key of source[field]) if (!target[field].includes(key)) target[field].push(key);
  }
  if (target.selected === null || source.selected === null) target.selected = null;
  else for (const c of source.selected) target.selected.add(c);
}

/** Union per table of the two readers' usages. */
export function mergeUsages(a: readonly TableUsage[], b: readonly TableUsage[]): TableUsage[] {
  const out = new Map<string, TableUsage>();
  for (const usage of [...a, ...b]) {
    const key = tableKey(usage.table.schema, usage.table.table);
    const existing = out.get(key);
    if (existing === undefined) {
      out.set(key, { ...usage, eq: [...usage.eq], range: [...usage.range], sort: [...usage.sort], sortDesc: [...usage.sortDesc], group: [...usage.group], like: [...usage.like], partial: [...usage.partial], selected: usage.selected === null ? null : new Set(usage.selected) });
    } else {
      mergeInto(existing, usage);
    }
  }
  return [...out.values()];
}

/**
 * Reads every statement with both readers. Sets `costQuery` and `representative` on a
 * statement planned with representative values. Needs a session with plan_cache_mode set
 * (Planner.begin).
 */
export async function analyseWorkload(
  db: SessionExecutor,
  planner: Planner,
  workload: WorkloadStatement[],
  catalog: Catalog,
): Promise<AnalysedStatement[]> {
  const out: AnalysedStatement[] = [];
  for (const statement of workload) {
    const parsed = analyseStatement(statement.query, catalog);
    let planned: TableUsage[] | undefined;
    let planError: string | undefined;
    let costQuery: string | undefined;
    try {
      let result = usagesFromPlan(await planner.plan(statement.query, true), catalog);
      if (result.needs.length > 0) {
        const values: Representative[] = [];
        const add = (value: Representative | undefined) => {
          if (value !== undefined && !values.some((v) => v.param === value.param)) values.push(value);
        };
        for (const need of result.needs) if (need.kind !== "eq-value") add(await representativeFor(db, need));
        // Equality values last: each is planned with the keys and patterns chosen above.
        for (const need of result.needs) if (need.kind === "eq-value") add(await skewedValue(db, planner, statement, need, values));
        if (values.length > 0) {
          costQuery = specialise(statement.query, values);
          result = usagesFromPlan(await planner.plan(costQuery, true), catalog);
          statement.representative = values.map((v) => v.source);
        }
      }
      planned = result.usages;
    } catch (error) {
      planError = messageOf(error);
    }
    if (planned === undefined && (parsed === undefined || parsed.length === 0)) {
      const parser = parsed === undefined ? "the SQL parser cannot read it" : "the SQL parser finds no known table in it";
      out.push({ queryid: statement.queryid, usages: undefined, reason: `${parser} and Postgres cannot plan it (${planError ?? "unknown error"})` });
      continue;
    }
    out.push({ queryid: statement.queryid, usages: mergeUsages(parsed ?? [], planned ?? []), ...(costQuery === undefined ? {} : { costQuery }) });
  }
  return out;
}

/** Candidates over a whole workload, deduplicated; `sources` maps each to the statements that proposed it. */
export function workloadCandidates(analysed: readonly AnalysedStatement[]): {
  candidates: IndexCandidate[];
  sources: Map<string, Set<string>>;
  tablesOf: Map<string, Set<string>>;
  coverage: StatementCoverage[];
  costQueries: Map<string, string>;
} {
  const candidates = new Map<string, IndexCandidate>();
  const sources = new Map<string, Set<string>>();
  const tablesOf = new Map<string, Set<string>>();
  const coverage: StatementCoverage[] = [];
  const costQueries = new Map<string, string>();
  for (const statement of analysed) {
    if (statement.costQuery !== undefined) costQueries.set(statement.queryid, statement.costQuery);
    if (statement.usages === undefined) {
      coverage.push({ queryid: statement.queryid, candidates: 0, reason: statement.reason ?? "could not be read" });
      continue;
    }
    tablesOf.set(statement.queryid, new Set(statement.usages.map((u) => tableKey(u.table.schema, u.table.table))));
    let count = 0;
    for (const usage of statement.usages) {
      for (const candidate of candidatesFor(usage)) {
        count += 1;
        const key = candidateKey(candidate);
        const existing = candidates.get(key);
        if (existing) {
          for (const reason of candidate.reasons) if (!existing.reasons.includes(reason)) existing.reasons.push(reason);
        } else {
          candidates.set(key, candidate);
        }
        let set = sources.get(key);
        if (!set) sources.set(key, (set = new Set()));
        set.add(statement.queryid);
      }
    }
    const reason =
      statement.usages.length === 0
        ? "reads no table of this database's catalog (functions or catalogs only)"
        : count === 0
          ? "no filter, join, sort or grouping an index could serve (it reads whole tables)"
          : null;
    coverage.push({ queryid: statement.queryid, candidates: count, reason });
  }
  return { candidates: [...candidates.values()], sources, tablesOf, coverage, costQueries };
}
