/**
 * The raw event tables beside request_events: query, cache, room and audit events.
 * Shared layout, for the same reasons as request_events: daily partitions (TTL and the
 * rollups job drop whole parts), ORDER BY low to high cardinality with time last, enum-like
 * strings as LowCardinality, 7-day TTL (the rollups job re-applies the configured one).
 *
 * `inserted_at` (every raw table) tells the rollups job which rows a materialized view
 * never saw: a view sees exactly the rows inserted after it was created, so the backfill
 * takes `inserted_at < view creation`. request_events predates the column: its existing
 * rows are marked as inserted at the epoch (a mutation that only matches rows whose value
 * is the just-computed default, so re-running it touches nothing written earlier than 1 s ago).
 */
import type { Migration } from "../../db/migration-types.ts";

const INSERTED_AT = "inserted_at DateTime64(3) DEFAULT now64(3)";
const RAW_TTL = "TTL toDateTime(ts) + INTERVAL 7 DAY";

export const eventTables: Migration = {
  id: "0002_event_tables",
  statements: [
    `ALTER TABLE {database}.request_events ADD COLUMN IF NOT EXISTS ${INSERTED_AT}`,
    `ALTER TABLE {database}.request_events UPDATE inserted_at = toDateTime64(0, 3) WHERE inserted_at >= now64(3) - INTERVAL 1 SECOND`,
    // Queried per fingerprint over time (the slow-query and per-statement dashboards).
    `CREATE TABLE IF NOT EXISTS {database}.query_events (
  ts DateTime64(3),
  fingerprint LowCardinality(String),
  statement String,
  kind LowCardinality(String),
  duration_ms Float64,
  db_ms Float64,
  rows UInt32,
  tier LowCardinality(String),
  slow Bool,
  error LowCardinality(String),
  request_id String,
  isolate_id String,
  ${INSERTED_AT}
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (fingerprint, ts)
${RAW_TTL}`,
    // Periodic counter deltas per isolate and cache tier.
    `CREATE TABLE IF NOT EXISTS {database}.cache_events (
  ts DateTime64(3),
  tier LowCardinality(String),
  hits UInt64,
  misses UInt64,
  evictions UInt64,
  sets UInt64,
  isolate_id String,
  ${INSERTED_AT}
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (tier, ts)
${RAW_TTL}`,
    // One row per connection change, flush or drop in a room.
    `CREATE TABLE IF NOT EXISTS {database}.room_events (
  ts DateTime64(3),
  party LowCardinality(String),
  room String,
  kind LowCardinality(String),
  connections UInt32,
  frames UInt32,
  batch_size UInt32,
  queue_wait_ms Float64,
  dropped UInt32,
  ${INSERTED_AT}
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (party, room, ts)
${RAW_TTL}`,
    // A copy of Postgres audit_logs (the rollups job syncs it by id); user_id 0 = system action.
    `CREATE TABLE IF NOT EXISTS {database}.audit_events (
  ts DateTime64(3),
  audit_id UInt64,
  user_id UInt64,
  action LowCardinality(String),
  resource String,
  ${INSERTED_AT}
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (user_id, ts)
${RAW_TTL}`,
  ],
};
