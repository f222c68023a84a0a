/**
 * Dispatches one cron trigger to its job and records the run. Never rejects:
 * a job that throws is recorded as `error`; an unknown cron expression is
 * logged and recorded as `error` under job "unknown".
 */
import type { CronJob, JobContext, JobRegistry, JsonObject } from "./jobs.ts";
import type { CronRunStore, FinalStatus } from "./runs.ts";
import { jobForCron, type JobName } from "./schedule.ts";

export const UNKNOWN_JOB = "unknown";

export interface DispatchResult {
  job: JobName | typeof UNKNOWN_JOB;
  status: FinalStatus;
  detail: JsonObject;
  /** Set when the run could not be written to the store. */
  recordError?: string;
}

export interface DispatchDeps {
  jobs: JobRegistry;
  store: CronRunStore;
  context: JobContext;
  logError: (message: string, error: unknown, fields?: JsonObject) => void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runJob(job: CronJob, context: JobContext): Promise<{ status: FinalStatus; detail: JsonObject }> {
  try {
    return await job(context);
  } catch (error) {
    return { status: "error", detail: { error: message(error) } };
  }
}

/**
 * @example
 * await dispatchCron({ jobs: JOBS, store: postgresCronRunStore(sql), context, logError });
 */
export async function dispatchCron({ jobs, store, context, logError }: DispatchDeps): Promise<DispatchResult> {
  const { cron, scheduledTime: scheduledAt } = context;
  const job = jobForCron(cron);
  if (job === undefined) {
    const detail = { error: `no job registered for cron "${cron}"` };
    logError("unknown cron expression", new Error(detail.error), { cron });
    try {
      await store.record({ job: UNKNOWN_JOB, cron, scheduledAt, status: "error", detail });
      return { job: UNKNOWN_JOB, status: "error", detail };
    } catch (error) {
      logError("could not record cron run", error, { cron, job: UNKNOWN_JOB });
      return { job: UNKNOWN_JOB, status: "error", detail, recordError: message(error) };
    }
  }

  let runId: string | undefined;
  try {
    runId = await store.start({ job, cron, scheduledAt });
  } catch (error) {
    // The job still runs: a bookkeeping outage must not stop alerts or rollups.
    logError("could not record cron run start", error, { cron, job });
  }
  const outcome = await runJob(jobs[job], context);
  if (outcome.status === "error") logError("cron job failed", new Error(String(outcome.detail.error)), { cron, job });
  if (runId === undefined) return { job, ...outcome, recordError: "run start not recorded" };
  try {
    await store.finish(runId, outcome.status, outcome.detail);
    return { job, ...outcome };
  } catch (error) {
    logError("could not record cron run end", error, { cron, job, runId });
    return { job, ...outcome, recordError: message(error) };
  }
}
