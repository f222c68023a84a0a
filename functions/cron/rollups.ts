/**
 * The `rollups` cron job: syncs audit logs from Postgres, backfills views added after
 * their data, checks closed windows against raw data and applies retention
 * (shared/analytics/rollups/run-rollups.ts). Mismatches are findings, not failures:
 * they are listed in the run's detail (cron_runs) and logged.
 */
import { clickHouseRunner } from "../../shared/analytics/rollups/runner.ts";
import { runRollups } from "../../shared/analytics/rollups/run-rollups.ts";
import { logError } from "../log.ts";
import type { CronJob } from "./jobs.ts";

export const rollupsJob: CronJob = async ({ services, scheduledTime }) => {
  const { config, sql } = services;
  if (services.clickhouse === undefined) return { status: "skipped", detail: { reason: "ClickHouse is not configured (CLICKHOUSE_URL)" } };
  const report = await runRollups({
    runner: clickHouseRunner(services.clickhouse),
    database: config.clickhouse.database,
    analytics: config.analytics,
    now: scheduledTime.getTime(),
    postgres: { query: async (text, params) => (await sql.query(text, params)) as Record<string, unknown>[] },
  });
  if (report.mismatches > 0) {
    logError("rollups disagree with raw data", new Error(`${report.mismatches} mismatches`), {
      mismatches: report.checks.flatMap((check) => ("mismatches" in check ? check.mismatches : [])),
    });
  }
  return { status: "ok", detail: { ...report } };
};
