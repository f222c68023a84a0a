/** Where cron runs are recorded: the cron_runs table (one row per execution). */
import type { NeonSql } from "../../shared/db/neon-client.ts";
import type { JsonObject } from "./jobs.ts";

export type RunStatus = "running" | "ok" | "error" | "skipped";
export type FinalStatus = Exclude<RunStatus, "running">;

export interface RunStart {
  job: string;
  cron: string;
  scheduledAt: Date;
}

export interface CronRunStore {
  /** Inserts a `running` row and returns its id. */
  start(run: RunStart): Promise<string>;
  finish(id: string, status: FinalStatus, detail: JsonObject): Promise<void>;
  /** A run that ends as it starts (nothing to execute): one finished row. */
  record(run: RunStart & { status: FinalStatus; detail: JsonObject }): Promise<void>;
}

/** cron_runs in Postgres through Neon's HTTP driver; clock_timestamp() is the database's wall clock. */
export function postgresCronRunStore(sql: NeonSql): CronRunStore {
  return {
    async start({ job, cron, scheduledAt }) {
      const rows = await sql.query(
        `INSERT INTO cron_runs (job, cron, scheduled_at, started_at, status)
         VALUES ($1, $2, $3, clock_timestamp(), 'running') RETURNING id::text AS id`,
        [job, cron, scheduledAt.toISOString()],
      );
      const id = rows[0]?.id;
      if (typeof id !== "string") throw new Error("cron_runs insert returned no id");
      return id;
    },
    async finish(id, status, detail) {
      await sql.query(
        `UPDATE cron_runs SET status = $2, detail = $3::jsonb, finished_at = greatest(clock_timestamp(), started_at)
         WHERE id = $1::bigint`,
        [id, status, JSON.stringify(detail)],
      );
    },
    async record({ job, cron, scheduledAt, status, detail }) {
      await sql.query(
        `INSERT INTO cron_runs (job, cron, scheduled_at, started_at, finished_at, status, detail)
         VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp(), $4, $5::jsonb)`,
        [job, cron, scheduledAt.toISOString(), status, JSON.stringify(detail)],
      );
    },
  };
}
