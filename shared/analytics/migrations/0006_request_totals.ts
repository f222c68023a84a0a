/**
 * All-routes request rollups per minute, hour and day (views: ../rollup-views.ts). The
 * series that read every route (ops metrics without `route`, the dashboard, alerts)
 * merged one latency state per route and method per bucket; these hold one per bucket.
 * On a 30-day daily dashboard that is 30 t-digest merges instead of 480. Same columns,
 * partitions and retention as the per-route rollups; ORDER BY the bucket alone. The
 * rollups job backfills them from the raw rows inserted before they existed.
 */
import type { Migration } from "../../db/migration-types.ts";
import { REQUEST_TOTAL_DAY, REQUEST_TOTAL_HOUR, REQUEST_TOTAL_MINUTE, createViewStatement } from "../rollup-views.ts";

const SUM = "SimpleAggregateFunction(sum, UInt64)";
const SUM_F = "SimpleAggregateFunction(sum, Float64)";

const totalRollup = (table: string, bucket: string, partition: string, ttlDays: number) => `CREATE TABLE IF NOT EXISTS {database}.${table} (
  ${bucket} DateTime,
  requests ${SUM},
  errors ${SUM},
  client_errors ${SUM},
  duration_ms_sum ${SUM_F},
  latency AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
  l1_hits ${SUM},
  l2_hits ${SUM},
  stale_hits ${SUM},
  misses ${SUM},
  bypass ${SUM},
  db_ms_sum ${SUM_F},
  response_bytes_sum ${SUM}
)
ENGINE = AggregatingMergeTree
PARTITION BY ${partition}
ORDER BY ${bucket}
TTL ${bucket} + INTERVAL ${ttlDays} DAY`;

export const requestTotals: Migration = {
  id: "0006_request_totals",
  statements: [
    totalRollup("request_total_minute", "minute", "toYYYYMMDD(minute)", 90),
    totalRollup("request_total_hour", "hour", "toYYYYMM(hour)", 395),
    totalRollup("request_total_day", "day", "toYYYYMM(day)", 395),
    ...[REQUEST_TOTAL_MINUTE, REQUEST_TOTAL_HOUR, REQUEST_TOTAL_DAY].map((view) => createViewStatement(view)),
  ],
};
