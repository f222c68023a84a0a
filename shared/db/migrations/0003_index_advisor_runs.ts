/**
 * Where the index advisor keeps each run's report (served at /v1/ops/indexes). trigger_key
 * makes runs idempotent: a cron trigger and its retry share a key, so the second insert
 * conflicts and that run is skipped instead of analysing (or building) twice.
 */
import type { Migration } from "../migration-types.ts";

export const indexAdvisorRuns: Migration = {
  id: "0003_index_advisor_runs",
  statements: [
    `CREATE TABLE index_advisor_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trigger_key text NOT NULL UNIQUE,
  trigger text NOT NULL CHECK (trigger IN ('cron', 'manual', 'cli')),
  status text NOT NULL CHECK (status IN ('running', 'ok', 'error', 'skipped')),
  apply boolean NOT NULL DEFAULT false,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz CHECK (finished_at >= started_at),
  summary jsonb NOT NULL DEFAULT '{}',
  report jsonb,
  error text
)`,
    `COMMENT ON TABLE index_advisor_runs IS 'One row per index advisor run (cron, on-demand or CLI): its summary and full report (recommendations with planner evidence, findings, builds). The latest ok row is what GET /v1/ops/indexes serves.'`,
  ],
};
