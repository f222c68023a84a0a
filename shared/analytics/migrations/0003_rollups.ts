/**
 * Rollup tables and the materialized views that feed them (definitions: ../rollup-views.ts).
 * AggregatingMergeTree: counters are SimpleAggregateFunction(sum) and latencies t-digest
 * states, so minute rows merge into hours and hours into days at read time. Per-minute rows
 * keep 90 days (daily partitions), hourly and daily rows 13 months (monthly partitions).
 * pipeline_watermarks is the rollups job's memory: what it backfilled and how far it synced.
 */
import type { Migration } from "../../db/migration-types.ts";
import { CACHE_HOUR, QUERY_HOUR, REQUEST_HOUR, REQUEST_MINUTE, ROOM_HOUR, USER_ACTIVITY_DAY, createViewStatement } from "../rollup-views.ts";

const SUM = "SimpleAggregateFunction(sum, UInt64)";
const SUM_F = "SimpleAggregateFunction(sum, Float64)";
const QUANTILES = "AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)";
const MINUTE_TTL = "TTL minute + INTERVAL 90 DAY";

const requestRollup = (table: string, bucket: string, partition: string, ttl: string) => `CREATE TABLE IF NOT EXISTS {database}.${table} (
  route LowCardinality(String),
  method LowCardinality(String),
  ${bucket} DateTime,
  requests ${SUM},
  errors ${SUM},
  client_errors ${SUM},
  duration_ms_sum ${SUM_F},
  latency ${QUANTILES},
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
ORDER BY (route, method, ${bucket})
${ttl}`;

export const rollups: Migration = {
  id: "0003_rollups",
  statements: [
    requestRollup("request_rollup_minute", "minute", "toYYYYMMDD(minute)", MINUTE_TTL),
    requestRollup("request_rollup_hour", "hour", "toYYYYMM(hour)", "TTL hour + INTERVAL 395 DAY"),
    `CREATE TABLE IF NOT EXISTS {database}.query_rollup_hour (
  fingerprint LowCardinality(String),
  hour DateTime,
  kind SimpleAggregateFunction(any, LowCardinality(String)),
  statement SimpleAggregateFunction(any, String),
  calls ${SUM},
  errors ${SUM},
  slow ${SUM},
  rows_sum ${SUM},
  duration_ms_sum ${SUM_F},
  db_ms_sum ${SUM_F},
  latency ${QUANTILES},
  l1_hits ${SUM},
  l2_hits ${SUM},
  stale_hits ${SUM},
  misses ${SUM},
  bypass ${SUM}
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (fingerprint, hour)
TTL hour + INTERVAL 395 DAY`,
    // The seed's "user daily activity summary", from the audit log copy.
    `CREATE TABLE IF NOT EXISTS {database}.user_activity_day (
  day Date,
  user_id UInt64,
  events ${SUM},
  distinct_actions AggregateFunction(uniq, LowCardinality(String)),
  first_at SimpleAggregateFunction(min, DateTime64(3)),
  last_at SimpleAggregateFunction(max, DateTime64(3))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, user_id)
TTL day + INTERVAL 395 DAY`,
    `CREATE TABLE IF NOT EXISTS {database}.room_rollup_hour (
  party LowCardinality(String),
  room String,
  hour DateTime,
  events ${SUM},
  connects ${SUM},
  disconnects ${SUM},
  max_connections SimpleAggregateFunction(max, UInt32),
  frames ${SUM},
  batches ${SUM},
  batch_size_sum ${SUM},
  queue_wait ${QUANTILES},
  dropped ${SUM}
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (party, room, hour)
TTL hour + INTERVAL 395 DAY`,
    `CREATE TABLE IF NOT EXISTS {database}.cache_rollup_hour (
  tier LowCardinality(String),
  hour DateTime,
  samples UInt64,
  hits UInt64,
  misses UInt64,
  evictions UInt64,
  sets UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tier, hour)
TTL hour + INTERVAL 395 DAY`,
    // One row per rollup view (backfill progress) and per sync (audit_logs id position); latest wins.
    `CREATE TABLE IF NOT EXISTS {database}.pipeline_watermarks (
  name String,
  live_from DateTime64(3),
  backfilled_until DateTime64(3),
  complete Bool,
  position UInt64,
  updated_at DateTime64(3) DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name`,
    ...[REQUEST_MINUTE, REQUEST_HOUR, QUERY_HOUR, USER_ACTIVITY_DAY, ROOM_HOUR, CACHE_HOUR].map((view) => createViewStatement(view)),
  ],
};
