/** The Worker's `scheduled` handler: dispatch in waitUntil, so the trigger returns at once. */
import { neonSql } from "../../shared/db/neon-client.ts";
import { configFor } from "../config.ts";
import type { Env } from "../env.ts";
import { logError } from "../log.ts";
import { dispatchCron, type DispatchResult } from "./dispatch.ts";
import { JOBS } from "./jobs.ts";
import { postgresCronRunStore } from "./runs.ts";

/** Runs the job for one trigger; resolves to undefined (after logging) when the config is invalid. */
export async function runScheduled(cron: string, scheduledTime: number, env: Env): Promise<DispatchResult | undefined> {
  try {
    const config = configFor(env);
    const sql = neonSql(config.postgres);
    return await dispatchCron({
      jobs: JOBS,
      store: postgresCronRunStore(sql),
      context: { config, sql, cron, scheduledTime: new Date(scheduledTime) },
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
