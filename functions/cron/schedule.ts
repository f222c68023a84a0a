/**
 * Which job each cron trigger runs. wrangler.toml's `[triggers] crons` must list
 * exactly these expressions (test/unit/cron.test.ts checks it).
 */
export const JOB_NAMES = ["alerts", "rollups", "index-analysis"] as const;
export type JobName = (typeof JOB_NAMES)[number];

export const CRON_SCHEDULE: ReadonlyMap<string, JobName> = new Map<string, JobName>([
  ["* * * * *", "alerts"],
  ["*/5 * * * *", "rollups"],
  ["17 * * * *", "index-analysis"],
]);

/** The job a cron expression triggers, or undefined when none is registered. */
export function jobForCron(cron: string): JobName | undefined {
  return CRON_SCHEDULE.get(cron);
}
