/**
 * The cron job registry. Each job is idempotent and safe to run twice or
 * concurrently; it reports what it did as an outcome that lands in cron_runs.
 */
import type { Services } from "../services.ts";
import type { JobName } from "./schedule.ts";
import { alertsJob } from "./alerts.ts";
import { indexAnalysisJob } from "./index-analysis.ts";
import { rollupsJob } from "./rollups.ts";

/** A job gets the isolate's services (built once per config, as the routes' are). */
export interface JobContext {
  services: Services;
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

export const JOBS: JobRegistry = Object.freeze({
  alerts: alertsJob,
  rollups: rollupsJob,
  "index-analysis": indexAnalysisJob,
});
