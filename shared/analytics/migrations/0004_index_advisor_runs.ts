/**
 * One row per index advisor run (its summary; the full report lives in Postgres
 * index_advisor_runs), so dashboards can chart recommendations and builds over time.
 */
import type { Migration } from "../../db/migration-types.ts";

export const indexAdvisorRunEvents: Migration = {
  id: "0004_index_advisor_runs",
  statements: [
    `CREATE TABLE IF NOT EXISTS {database}.index_advisor_runs (
  ts DateTime64(3),
  run_id String,
  database LowCardinality(String),
  trigger LowCardinality(String),
  mode LowCardinality(String),
  statements UInt32,
  recommendations UInt16,
  created UInt16,
  failed UInt16,
  findings UInt32,
  clickhouse_findings UInt32,
  duration_ms UInt32,
  evaluations UInt32
)
ENGINE = MergeTree
ORDER BY (database, ts)
TTL toDateTime(ts) + INTERVAL 365 DAY`,
  ],
};
