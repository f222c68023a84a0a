import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { configFor } from "../../functions/config.ts";
import { CRON_SCHEDULE } from "../../functions/cron/schedule.ts";
import worker from "../../functions/index.ts";
import { neonSql } from "../../shared/db/neon-client.ts";

interface CronRunRow {
  job: string;
  cron: string;
  status: string;
  detail: Record<string, unknown>;
  finished: boolean;
}

const sql = neonSql(configFor(env).postgres);
/** Each run gets its own scheduled time, far from real ones, so rows are found and removed exactly. */
const baseTime = Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e9) * 1000;
let nextOffset = 0;
const usedTimes: string[] = [];

async function trigger(cron: string): Promise<CronRunRow[]> {
  const scheduledTime = baseTime + 60_000 * nextOffset++;
  usedTimes.push(new Date(scheduledTime).toISOString());
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ cron, scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
  const rows = await sql.query(
    `SELECT job, cron, status, detail, finished_at IS NOT NULL AS finished
       FROM cron_runs WHERE scheduled_at = $1 ORDER BY id`,
    [new Date(scheduledTime).toISOString()],
  );
  return rows as CronRunRow[];
}

afterAll(async () => {
  if (usedTimes.length > 0) await sql.query("DELETE FROM cron_runs WHERE scheduled_at = ANY($1::timestamptz[])", [usedTimes]);
});

describe("scheduled handler", () => {
  for (const [cron, job] of CRON_SCHEDULE) {
    it(`runs "${cron}" -> ${job} against the real services and records it finished ok`, async () => {
      const rows = await trigger(cron);
      expect(rows, JSON.stringify(rows)).toEqual([{ job, cron, status: "ok", detail: expect.any(Object), finished: true }]);
    });
  }

  it("records an unknown cron expression as an error row", async () => {
    const rows = await trigger("0 3 * * 7");
    expect(rows).toEqual([
      {
        job: "unknown",
        cron: "0 3 * * 7",
        status: "error",
        detail: { error: 'no job registered for cron "0 3 * * 7"' },
        finished: true,
      },
    ]);
  });
});
