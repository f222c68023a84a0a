/**
 * The cron job registry. Each job is idempotent and safe to run twice or
 * concurrently; it reports what it did as an outcome that lands in cron_runs.
 */
import type { AppConfig } from "../../shared/config.ts";
import type { NeonSql } from "../../shared/db/neon-client.ts";
import type { JobName } from "./schedule.ts";

export interface JobContext {
  config: AppConfig;
  sql: NeonSql;
  cron: string;
  scheduledTime: Date;
}

export type JsonObject = Record<string, unknown>;

export interface JobOutcome {
  status: "ok" | "skipped";
  detail: JsonObject;
}

export type CronJob = (context: JobContext) => Promise<JobOutcome>;
export type JobRegistry = Readonly<Record<JobName, CronJob>>;

/** A job whose body is still to be built: it says so in cron_runs instead of pretending to work. */
function notImplemented(issue: string): CronJob {
  return async () => ({ status: "skipped", detail: { reason: `not implemented yet (issue: ${issue})` } });
}

export const JOBS: JobRegistry = Object.freeze({
  alerts: notImplemented("#7 alert evaluation"),
  rollups: notImplemented("#5 ClickHouse metrics rollups"),
  "index-analysis": notImplemented("#6 Postgres index analysis"),
});
