/**
 * Retention: each table keeps its configured number of days. Two mechanisms, both
 * idempotent: the table TTL is brought to the configured value (expired rows go on
 * the next merge), and whole partitions entirely past the cutoff are dropped now
 * (cheap, immediate, independent of merges).
 */
import type { AnalyticsConfig } from "../../config.ts";
import type { ClickHouseRunner } from "./runner.ts";

const DAY_MS = 86_400_000;

export interface RetainedTable {
  table: string;
  /** The time column the TTL is on. */
  column: string;
  /** toYYYYMMDD or toYYYYMM partitions. */
  partition: "day" | "month";
  days: number;
}

export function retainedTables(config: Pick<AnalyticsConfig, "rawRetentionDays" | "minuteRollupRetentionDays" | "hourRollupRetentionDays">): RetainedTable[] {
  const raw = (table: string): RetainedTable => ({ table, column: "ts", partition: "day", days: config.rawRetentionDays });
  const hourly = (table: string, column = "hour"): RetainedTable => ({ table, column, partition: "month", days: config.hourRollupRetentionDays });
  return [
    raw("request_events"),
    raw("query_events"),
    raw("cache_events"),
    raw("room_events"),
    raw("audit_events"),
    { table: "request_rollup_minute", column: "minute", partition: "day", days: config.minuteRollupRetentionDays },
    { table: "request_total_minute", column: "minute", partition: "day", days: config.minuteRollupRetentionDays },
    hourly("request_rollup_hour"),
    hourly("request_total_hour"),
    hourly("request_rollup_day", "day"),
    hourly("request_total_day", "day"),
    hourly("query_rollup_hour"),
    hourly("room_rollup_hour"),
    hourly("cache_rollup_hour"),
    hourly("user_activity_day", "day"),
  ];
}

export interface RetentionReport {
  table: string;
  ttlDays: number;
  ttlChanged: boolean;
  droppedPartitions: string[];
}

/** The epoch ms at which a partition's last possible row ends. */
export function partitionEnd(partitionId: string, kind: "day" | "month"): number | undefined {
  const m = kind === "day" ? /^(\d{4})(\d{2})(\d{2})$/.exec(partitionId) : /^(\d{4})(\d{2})$/.exec(partitionId);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]) - 1;
  return kind === "day" ? Date.UTC(year, month, Number(m[3])) + DAY_MS : Date.UTC(year, month + 1, 1);
}

export async function applyRetention(runner: ClickHouseRunner, database: string, spec: RetainedTable, now: number): Promise<RetentionReport> {
  const [info] = await runner.query<{ q: string }>(
    `SELECT create_table_query AS q FROM system.tables WHERE database = '${database}' AND name = '${spec.table}'`,
  );
  if (info === undefined) return { table: spec.table, ttlDays: spec.days, ttlChanged: false, droppedPartitions: [] };
  const current = /TTL .*toIntervalDay\((\d+)\)/.exec(info.q)?.[1];
  const ttlChanged = current === undefined || Number(current) !== spec.days;
  if (ttlChanged) {
    const column = spec.column === "ts" ? "toDateTime(ts)" : spec.column;
    await runner.command(`ALTER TABLE ${database}.${spec.table} MODIFY TTL ${column} + INTERVAL ${spec.days} DAY`);
  }
  const cutoff = now - spec.days * DAY_MS;
  const partitions = await runner.query<{ id: string }>(
    `SELECT DISTINCT partition_id AS id FROM system.parts WHERE database = '${database}' AND table = '${spec.table}' AND active ORDER BY id`,
  );
  const dropped: string[] = [];
  for (const { id } of partitions) {
    const end = partitionEnd(id, spec.partition);
    if (end === undefined || end > cutoff) continue;
    await runner.command(`ALTER TABLE ${database}.${spec.table} DROP PARTITION ID '${id}'`);
    dropped.push(id);
  }
  return { table: spec.table, ttlDays: spec.days, ttlChanged, droppedPartitions: dropped };
}
