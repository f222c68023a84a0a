/**
 * Did a built index pay off? Per statement it was built for, the mean time before (the
 * workload the advisor analysed) against the mean time after (pg_stat_statements deltas
 * since the build), and the write latency on its table. An index whose measured saving is
 * under half of the planner's predicted saving, or that slowed its table's writes by more
 * than 10%, fails; apply mode drops it, what-if mode reports it.
 */
import type { Recommendation, SessionExecutor } from "./types.ts";

export interface StatementTotals {
  calls: number;
  totalMs: number;
}

/** Cumulative pg_stat_statements totals per queryid (this database only). */
export async function statementTotals(db: SessionExecutor): Promise<Map<string, StatementTotals>> {
  const { rows } = await db.query(
    `SELECT queryid::text AS queryid, calls::float8 AS calls, total_exec_time::float8 AS total_ms
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel`,
  );
  return new Map(rows.map((r) => [String(r.queryid), { calls: Number(r.calls), totalMs: Number(r.total_ms) }]));
}

/** Mean time per call between two snapshots; undefined when the statement did not run in between. */
export function meanBetween(from: ReadonlyMap<string, StatementTotals>, to: ReadonlyMap<string, StatementTotals>, queryid: string): { calls: number; meanMs: number } | undefined {
  const a = from.get(queryid) ?? { calls: 0, totalMs: 0 };
  const b = to.get(queryid);
  if (b === undefined || b.calls <= a.calls) return undefined;
  return { calls: b.calls - a.calls, meanMs: (b.totalMs - a.totalMs) / (b.calls - a.calls) };
}

export interface MeasuredStatement {
  queryid: string;
  beforeMs: number;
  afterMs: number | null;
  calls: number;
}

export interface IndexVerdict {
  name: string;
  verdict: "held" | "below_prediction" | "slowed_writes" | "unmeasured";
  /** Predicted share of its statements' cost saved (planner), and the measured share of their time saved. */
  predictedSaving: number;
  measuredSaving: number | null;
  statements: MeasuredStatement[];
  writeBeforeMs: number | null;
  writeAfterMs: number | null;
  reason: string;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Judges one index: its statements' measured means against the prediction, and the writes on
 * its table (mean ms per write statement before and after; null when none ran).
 */
export function judgeIndex(
  recommendation: Pick<Recommendation, "name" | "statements">,
  measured: readonly MeasuredStatement[],
  writes: { beforeMs: number; afterMs: number } | null,
): IndexVerdict {
  const predictedBase = recommendation.statements.reduce((sum, e) => sum + e.costBefore * e.calls, 0);
  const predictedSaved = recommendation.statements.reduce((sum, e) => sum + (e.costBefore - e.costAfter) * e.calls, 0);
  const predictedSaving = predictedBase > 0 ? predictedSaved / predictedBase : 0;
  const ran = measured.filter((m) => m.afterMs !== null);
  const base = { name: recommendation.name, predictedSaving: round3(predictedSaving), statements: [...measured], writeBeforeMs: writes?.beforeMs ?? null, writeAfterMs: writes?.afterMs ?? null };
  if (ran.length === 0) return { ...base, verdict: "unmeasured", measuredSaving: null, reason: "none of its statements ran since it was built" };
  const before = ran.reduce((sum, m) => sum + m.beforeMs * m.calls, 0);
  const after = ran.reduce((sum, m) => sum + m.afterMs! * m.calls, 0);
  const measuredSaving = before > 0 ? (before - after) / before : 0;
  if (writes !== null && writes.afterMs > writes.beforeMs * 1.1) {
    return { ...base, verdict: "slowed_writes", measuredSaving: round3(measuredSaving), reason: `writes on its table went from ${writes.beforeMs.toFixed(3)} to ${writes.afterMs.toFixed(3)} ms (more than 10% slower)` };
  }
  if (measuredSaving < predictedSaving / 2) {
    return { ...base, verdict: "below_prediction", measuredSaving: round3(measuredSaving), reason: `measured saving ${(measuredSaving * 100).toFixed(1)}% is under half of the predicted ${(predictedSaving * 100).toFixed(1)}%` };
  }
  return { ...base, verdict: "held", measuredSaving: round3(measuredSaving), reason: `measured saving ${(measuredSaving * 100).toFixed(1)}% against predicted ${(predictedSaving * 100).toFixed(1)}%` };
}

/** What a later run needs to judge one built index: its statements' means and the totals at build time. */
export interface BuildBaseline {
  schema: string;
  table: string;
  name: string;
  builtAt: string;
  statements: { queryid: string; meanMs: number; costBefore: number; costAfter: number; calls: number }[];
  /** Statements that write the index's table, with their mean before the build. */
  writes: { queryid: string; meanMs: number }[];
  /** pg_stat_statements totals at build time, for the deltas. */
  totals: Record<string, StatementTotals>;
}

export interface Verification extends IndexVerdict {
  table: string;
  /** What was done about it: kept, dropped (apply mode, verdict failed) or reported (what-if mode). */
  action: "kept" | "dropped" | "reported" | "pending";
  sizeBytes: number | null;
  /** When the measurement was taken (ISO). */
  measuredAt: string;
  /** Measured by an earlier run and carried into this report because the index is still in place. */
  carried?: true;
  error?: string;
}

/**
 * Earlier measurements of indexes that are still in place and were not measured again now:
 * carried into the new report, so each applied index shows its measured impact in every
 * later report, not only in the one run that judged it.
 */
export function standingVerifications(
  earlier: readonly Verification[],
  measuredNow: readonly Verification[],
  existing: readonly { schema: string; table: string; name: string }[],
): Verification[] {
  return earlier
    .filter((v) => v.action === "kept" || v.action === "reported")
    .filter((v) => !measuredNow.some((m) => m.name === v.name && m.table === v.table))
    .filter((v) => existing.some((i) => i.name === v.name && `${i.schema}.${i.table}` === v.table))
    .map((v) => ({ ...v, carried: true as const }));
}

const WRITE = /^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:"?([A-Za-z0-9_]+)"?\.)?"?([A-Za-z0-9_]+)"?/i;

/** The workload's statements that write `table` (INSERT/UPDATE/DELETE on it). */
export function writesTo(table: string, workload: readonly { queryid: string; query: string; meanMs: number }[]): { queryid: string; meanMs: number }[] {
  return workload.filter((s) => WRITE.exec(s.query)?.[2] === table).map((s) => ({ queryid: s.queryid, meanMs: s.meanMs }));
}

/** Baselines for the indexes a run just built, to be judged by a later run once traffic has run on them. */
export async function baselinesFor(
  db: SessionExecutor,
  built: readonly Pick<Recommendation, "schema" | "table" | "name" | "statements">[],
  workload: readonly { queryid: string; query: string; meanMs: number }[],
  now: Date,
): Promise<BuildBaseline[]> {
  if (built.length === 0) return [];
  const totals = await statementTotals(db);
  return built.map((r) => {
    const writes = writesTo(r.table, workload);
    const ids = [...r.statements.map((e) => e.queryid), ...writes.map((w) => w.queryid)];
    return {
      schema: r.schema,
      table: r.table,
      name: r.name,
      builtAt: now.toISOString(),
      statements: r.statements.map((e) => ({ queryid: e.queryid, meanMs: workload.find((s) => s.queryid === e.queryid)?.meanMs ?? 0, costBefore: e.costBefore, costAfter: e.costAfter, calls: e.calls })),
      writes,
      totals: Object.fromEntries(ids.filter((id) => totals.has(id)).map((id) => [id, totals.get(id)!])),
    };
  });
}

function weightedMean(items: readonly { meanMs: number; calls: number }[]): number | null {
  const calls = items.reduce((sum, i) => sum + i.calls, 0);
  return calls === 0 ? null : items.reduce((sum, i) => sum + i.meanMs * i.calls, 0) / calls;
}

/**
 * Judges earlier builds from pg_stat_statements deltas since each build. With `apply`, an index
 * whose benefit fell under half the prediction or that slowed its table's writes by more than
 * 10% is dropped (DROP INDEX CONCURRENTLY) and the reason recorded; without, it is reported.
 * An index none of whose statements ran since is `pending` (judged by a later run).
 */
export async function verifyBuilds(db: SessionExecutor, baselines: readonly BuildBaseline[], apply: boolean, measuredAt: Date): Promise<Verification[]> {
  if (baselines.length === 0) return [];
  const now = await statementTotals(db);
  const out: Verification[] = [];
  for (const baseline of baselines) {
    const since = new Map(Object.entries(baseline.totals));
    const measured = baseline.statements.map((s) => {
      const after = meanBetween(since, now, s.queryid);
      return { queryid: s.queryid, beforeMs: s.meanMs, afterMs: after?.meanMs ?? null, calls: after?.calls ?? 0 };
    });
    const writesAfter = baseline.writes.map((w) => ({ ...w, after: meanBetween(since, now, w.queryid) }));
    const beforeWrite = weightedMean(writesAfter.filter((w) => w.after).map((w) => ({ meanMs: w.meanMs, calls: w.after!.calls })));
    const afterWrite = weightedMean(writesAfter.filter((w) => w.after).map((w) => ({ meanMs: w.after!.meanMs, calls: w.after!.calls })));
    const writes = beforeWrite === null || afterWrite === null ? null : { beforeMs: beforeWrite, afterMs: afterWrite };
    const verdict = judgeIndex({ name: baseline.name, statements: baseline.statements.map((s) => ({ ...s, query: "" })) }, measured, writes);
    const { rows } = await db.query(
      `SELECT pg_relation_size(c.oid)::float8 AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [baseline.schema, baseline.name],
    );
    const sizeBytes = rows[0] === undefined ? null : Number(rows[0].bytes);
    const failed = verdict.verdict === "below_prediction" || verdict.verdict === "slowed_writes";
    let action: Verification["action"] = verdict.verdict === "unmeasured" ? "pending" : failed ? (apply ? "dropped" : "reported") : "kept";
    let error: string | undefined;
    if (action === "dropped" && sizeBytes !== null) {
      try {
        await db.query(`DROP INDEX CONCURRENTLY IF EXISTS "${baseline.schema.replaceAll('"', '""')}"."${baseline.name.replaceAll('"', '""')}"`);
      } catch (cause) {
        action = "reported";
        error = `could not drop it: ${cause instanceof Error ? cause.message : String(cause)}`;
      }
    }
    out.push({ ...verdict, table: `${baseline.schema}.${baseline.table}`, action, sizeBytes: action === "dropped" ? null : sizeBytes, measuredAt: measuredAt.toISOString(), ...(error ? { error } : {}) });
  }
  return out;
}
