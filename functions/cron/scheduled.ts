/** The Worker's `scheduled` handler: dispatch in waitUntil, so the trigger returns at once. */
import type { Env } from "../env.ts";
import { logError } from "../log.ts";
import { servicesFor } from "../services.ts";
import { dispatchCron, type DispatchResult } from "./dispatch.ts";
import { JOBS, type JobRegistry } from "./jobs.ts";
import { postgresCronRunStore } from "./runs.ts";

/** Runs the job for one trigger; resolves to undefined (after logging) when the config is invalid. */
export async function runScheduled(cron: string, scheduledTime: number, env: Env, jobs: JobRegistry = JOBS): Promise<DispatchResult | undefined> {
  try {
    const services = servicesFor(env);
    return await dispatchCron({
      jobs,
      store: postgresCronRunStore(services.sql),
      context: { services, cron, scheduledTime: new Date(scheduledTime) },
      logError,
    });
  } catch (error) {
    logError("cron dispatch failed", error, { cron });
    return undefined;
  }
}

export function handleScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): void {
  ctx.waitUntil(runScheduled(controller.cron, controller.scheduledTime, env));
}
