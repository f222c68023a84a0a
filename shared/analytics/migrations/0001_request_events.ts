/**
 * The first raw event table: one row per Worker request, written in batches by the event sink.
 * `{database}` is replaced by the runner with the configured database (CLICKHOUSE_DATABASE).
 * Every statement is idempotent (IF NOT EXISTS): ClickHouse has no locks, so two runners may
 * both execute a migration and the second must be harmless.
 */
import type { Migration } from "../../db/migration-types.ts";

export const requestEvents: Migration = {
  id: "0001_request_events",
  statements: [
    "CREATE DATABASE IF NOT EXISTS {database}",
    // Sorted by (route, method, ts) because dashboards and alerts slice per route over a time range;
    // daily partitions let the 7-day TTL drop whole parts instead of rewriting them.
    `CREATE TABLE IF NOT EXISTS {database}.request_events (
  ts DateTime64(3),
  request_id String,
  route LowCardinality(String),
  method LowCardinality(String),
  status UInt16,
  duration_ms Float64,
  cache_tier LowCardinality(String),
  db_ms Float64,
  response_bytes UInt32,
  isolate_id String,
  colo LowCardinality(String),
  country LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (route, method, ts)
TTL toDateTime(ts) + INTERVAL 7 DAY`,
  ],
};
