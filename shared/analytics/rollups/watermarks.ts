/** pipeline_watermarks: the latest row per name wins (ReplacingMergeTree(updated_at), read with argMax). */
import { ms64, type ClickHouseRunner } from "./runner.ts";

export interface Watermark {
  name: string;
  liveFrom: number;
  backfilledUntil: number;
  complete: boolean;
  position: number;
}

interface WatermarkRow {
  name: string;
  live_from: string;
  backfilled_until: string;
  complete: boolean | number;
  position: string | number;
}

export async function readWatermarks(runner: ClickHouseRunner, database: string): Promise<Map<string, Watermark>> {
  const rows = await runner.query<WatermarkRow>(
    `SELECT name,
       toString(toUnixTimestamp64Milli(argMax(live_from, updated_at))) AS live_from,
       toString(toUnixTimestamp64Milli(argMax(backfilled_until, updated_at))) AS backfilled_until,
       argMax(complete, updated_at) AS complete,
       argMax(position, updated_at) AS position
     FROM ${database}.pipeline_watermarks GROUP BY name`,
  );
  return new Map(
    rows.map((row) => [
      row.name,
      {
        name: row.name,
        liveFrom: Number(row.live_from),
        backfilledUntil: Number(row.backfilled_until),
        complete: row.complete === true || row.complete === 1,
        position: Number(row.position),
      },
    ]),
  );
}

export async function writeWatermark(runner: ClickHouseRunner, database: string, mark: Watermark): Promise<void> {
  // updated_at strictly increases, so two writes within one millisecond still order.
  await runner.command(
    `INSERT INTO ${database}.pipeline_watermarks (name, live_from, backfilled_until, complete, position, updated_at)
     SELECT '${mark.name.replace(/[^a-z0-9_:]/gi, "")}', ${ms64(mark.liveFrom)}, ${ms64(mark.backfilledUntil)}, ${mark.complete ? 1 : 0}, ${Math.trunc(mark.position)},
       greatest(now64(3), (SELECT max(updated_at) + toIntervalMillisecond(1) FROM ${database}.pipeline_watermarks))`,
  );
}
