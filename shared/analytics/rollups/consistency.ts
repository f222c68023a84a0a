/**
 * Does a rollup agree with its raw table over a closed window? Counts must match
 * exactly per key: the raw `count()` against the rollup's count column. A window is
 * closed when its end lies `lagMs` in the past (events arrive late: batching, retries).
 */
import type { RollupView } from "../rollup-views.ts";
import { ms64, type ClickHouseRunner } from "./runner.ts";

const BUCKET_MS: Record<string, number> = { minute: 3_600_000, hour: 3_600_000, day: 86_400_000 };

export interface Mismatch {
  view: string;
  key: string;
  raw: number;
  rollup: number;
}

export interface CheckReport {
  view: string;
  from: string;
  to: string;
  keys: number;
  mismatches: Mismatch[];
}

/** The last whole hour (minute and hour views) or day (day views) that ended at least lagMs ago. */
export function closedWindow(view: RollupView, now: number, lagMs: number): { from: number; to: number } {
  const size = BUCKET_MS[view.bucket] ?? 3_600_000;
  const to = Math.floor((now - lagMs) / size) * size;
  return { from: to - size, to };
}

export async function checkView(
  runner: ClickHouseRunner,
  database: string,
  view: RollupView,
  window: { from: number; to: number },
  maxReported = 20,
): Promise<CheckReport> {
  // A view without keys (the all-routes totals) is compared per window as a whole.
  const keyExpr = view.keys.length === 0 ? "'*'" : `concat(${view.keys.map((k) => `toString(${k})`).join(", ' ', ")})`;
  const rawWhere = [`ts >= ${ms64(window.from)}`, `ts < ${ms64(window.to)}`, ...(view.where ? [`(${view.where})`] : [])].join(" AND ");
  const rollupWhere = `${view.bucket} >= toDateTime(${Math.trunc(window.from / 1000)}) AND ${view.bucket} < toDateTime(${Math.trunc(window.to / 1000)})`;
  const rows = await runner.query<{ key: string; raw: string; rollup: string }>(
    `SELECT key, toString(sum(raw)) AS raw, toString(sum(rollup)) AS rollup FROM (
       SELECT ${keyExpr} AS key, count() AS raw, toUInt64(0) AS rollup FROM ${database}.${view.source} WHERE ${rawWhere} GROUP BY key
       UNION ALL
       SELECT ${keyExpr} AS key, toUInt64(0) AS raw, toUInt64(sum(${view.countColumn})) AS rollup FROM ${database}.${view.target} WHERE ${rollupWhere} GROUP BY key
     ) GROUP BY key ORDER BY key`,
  );
  const mismatches = rows
    .filter((row) => row.raw !== row.rollup)
    .slice(0, maxReported)
    .map((row) => ({ view: view.name, key: row.key, raw: Number(row.raw), rollup: Number(row.rollup) }));
  return { view: view.name, from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString(), keys: rows.length, mismatches };
}
