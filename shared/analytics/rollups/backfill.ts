/**
 * Backfill of a rollup view added after its raw table had data. A materialized view
 * sees exactly the rows inserted after it was created, so the rows it never saw are
 * those with `inserted_at < live_from`, where live_from is the view's creation time
 * (system.tables.metadata_modification_time, in seconds: an insert in the same second as
 * the CREATE may be missed; schema changes are rare and the consistency check reports it).
 *
 * Work is done one day of event time per step, the watermark advancing after each
 * step, so a run is bounded and the next run resumes. A crash between a step's insert
 * and its watermark makes the next run repeat that step; the step's insert carries a
 * deduplication token naming the view, its live_from and the day, so ClickHouse skips
 * the repeat (the target's deduplication window, migration 0007).
 */
import type { RollupView } from "../rollup-views.ts";
import { rollupSelect } from "../rollup-views.ts";
import { ms64, type ClickHouseRunner } from "./runner.ts";
import { writeWatermark, type Watermark } from "./watermarks.ts";

const DAY_MS = 86_400_000;

export interface BackfillReport {
  view: string;
  /** "complete": nothing (more) to backfill. "progress": steps done, more to do. "waiting": mutation in progress. */
  state: "complete" | "progress" | "waiting" | "missing";
  steps: number;
  backfilledUntil?: string;
}

async function viewCreatedAt(runner: ClickHouseRunner, database: string, view: RollupView): Promise<number | undefined> {
  const rows = await runner.query<{ at: string }>(
    `SELECT toString(toUnixTimestamp(metadata_modification_time) * 1000) AS at FROM system.tables
     WHERE database = '${database}' AND name = '${view.name}'`,
  );
  return rows[0] === undefined ? undefined : Number(rows[0].at);
}

/** Backfills up to `maxSteps` days for one view; idempotent through its watermark. */
export async function backfillView(
  runner: ClickHouseRunner,
  database: string,
  view: RollupView,
  mark: Watermark | undefined,
  maxSteps: number,
): Promise<BackfillReport> {
  if (mark?.complete === true) return { view: view.name, state: "complete", steps: 0 };
  const liveFrom = mark?.liveFrom ?? (await viewCreatedAt(runner, database, view));
  if (liveFrom === undefined) return { view: view.name, state: "missing", steps: 0 };

  // A pending mutation on the source (0002 marks pre-existing rows) would make inserted_at read wrong.
  const pending = await runner.query<{ n: string }>(
    `SELECT toString(count()) AS n FROM system.mutations WHERE database = '${database}' AND table = '${view.source}' AND is_done = 0`,
  );
  if (Number(pending[0]?.n ?? 0) > 0) return { view: view.name, state: "waiting", steps: 0 };

  const [bounds] = await runner.query<{ lo: string; hi: string; n: string }>(
    `SELECT toString(toUnixTimestamp64Milli(min(ts))) AS lo, toString(toUnixTimestamp64Milli(max(ts))) AS hi, toString(count()) AS n
     FROM ${database}.${view.source} WHERE inserted_at < ${ms64(liveFrom)}`,
  );
  const start = mark?.backfilledUntil ?? (Number(bounds?.n ?? 0) > 0 ? Math.floor(Number(bounds!.lo) / DAY_MS) * DAY_MS : 0);
  const end = Number(bounds?.n ?? 0) > 0 ? Number(bounds!.hi) + 1 : 0;

  let cursor = start;
  let steps = 0;
  while (cursor < end && steps < maxSteps) {
    const next = cursor + DAY_MS;
    await runner.command(
      `INSERT INTO ${database}.${view.target}\n${rollupSelect(view, database, `inserted_at < ${ms64(liveFrom)} AND ts >= ${ms64(cursor)} AND ts < ${ms64(next)}`)}`,
      { dedupToken: `backfill:${view.name}:${liveFrom}:${cursor}` },
    );
    cursor = next;
    steps++;
    await writeWatermark(runner, database, { name: view.name, liveFrom, backfilledUntil: cursor, complete: false, position: 0 });
  }
  const complete = cursor >= end;
  if (complete) await writeWatermark(runner, database, { name: view.name, liveFrom, backfilledUntil: Math.max(cursor, end), complete: true, position: 0 });
  return { view: view.name, state: complete ? "complete" : "progress", steps, backfilledUntil: new Date(Math.max(cursor, end)).toISOString() };
}
