import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dispatchCron, UNKNOWN_JOB } from "../../functions/cron/dispatch.ts";
import { JOBS, type CronJob, type JobContext, type JobRegistry, type JsonObject } from "../../functions/cron/jobs.ts";
import { runScheduled } from "../../functions/cron/scheduled.ts";
import type { Env } from "../../functions/env.ts";
import type { CronRunStore, FinalStatus, RunStart } from "../../functions/cron/runs.ts";
import { CRON_SCHEDULE, JOB_NAMES } from "../../functions/cron/schedule.ts";
import { loadConfig } from "../../shared/config.ts";
import { buildServices, servicesFor } from "../../functions/services.ts";

/** The `crons = [...]` array of wrangler.toml's [triggers] table. */
function wranglerCrons(): string[] {
  const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
  const triggers = toml.split(/^\[triggers\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  const list = /^crons\s*=\s*\[([^\]]*)\]/m.exec(triggers)?.[1];
  if (list === undefined) throw new Error("wrangler.toml has no [triggers] crons");
  return [...list.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
}

interface StoredRun extends RunStart {
  id: string;
  status: FinalStatus | "running";
  detail: JsonObject;
}

function memoryStore(): CronRunStore & { runs: StoredRun[]; failWith?: Error } {
  const runs: StoredRun[] = [];
  const store: CronRunStore & { runs: StoredRun[]; failWith?: Error } = {
    runs,
    async start(run) {
      if (store.failWith) throw store.failWith;
      const id = String(runs.length + 1);
      runs.push({ ...run, id, status: "running", detail: {} });
      return id;
    },
    async finish(id, status, detail) {
      if (store.failWith) throw store.failWith;
      const run = runs.find((r) => r.id === id);
      if (!run) throw new Error(`no run ${id}`);
      Object.assign(run, { status, detail });
    },
    async record(run) {
      if (store.failWith) throw store.failWith;
      runs.push({ ...run, id: String(runs.length + 1) });
    },
  };
  return store;
}

const config = loadConfig({ DATABASE_URL: "postgres://u:p@127.0.0.1:1/db" });
// The isolate's services for this config: built without connecting, and the jobs under test do not query.
const services = buildServices(config);

function context(cron: string): JobContext {
  return { services, cron, scheduledTime: new Date("2026-11-29T10:05:00Z") };
}

const errors: Array<{ message: string; fields?: JsonObject }> = [];
const logError = (message: string, _error: unknown, fields?: JsonObject) => {
  errors.push({ message, fields });
};

describe("cron schedule", () => {
  it("declares exactly the crons wrangler.toml triggers", () => {
    expect([...CRON_SCHEDULE.keys()].sort()).toEqual(wranglerCrons().sort());
  });

  it("maps every registered job to one cron and every cron to a registered job", () => {
    expect([...CRON_SCHEDULE.values()].sort()).toEqual([...JOB_NAMES].sort());
    expect(Object.keys(JOBS).sort()).toEqual([...JOB_NAMES].sort());
  });
});

describe("runScheduled", () => {
  it("hands the jobs the isolate's services, the same object the routes get", async () => {
    const env = { DATABASE_URL: "postgres://u:p@127.0.0.1:1/cron-services" } as Env;
    const seen: JobContext[] = [];
    const spy: CronJob = async (ctx) => {
      seen.push(ctx);
      return { status: "ok", detail: {} };
    };
    const jobs = { alerts: spy, rollups: spy, "index-analysis": spy } satisfies JobRegistry;
    // The run log is not reachable (port 1): dispatch logs that and still runs the job.
    await runScheduled("* * * * *", Date.now(), env, jobs);
    await runScheduled("* * * * *", Date.now(), env, jobs);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.services).toBe(servicesFor(env));
    expect(seen[1]!.services).toBe(seen[0]!.services);
  });
});

describe("dispatchCron", () => {
  it("runs the job a cron names and records its outcome", async () => {
    for (const [cron, job] of CRON_SCHEDULE) {
      const jobs = Object.fromEntries(
        JOB_NAMES.map((name) => [name, async () => ({ status: "ok" as const, detail: { ran: name } })]),
      ) as unknown as JobRegistry;
      const store = memoryStore();
      const result = await dispatchCron({ jobs, store, context: context(cron), logError });
      expect(result).toMatchObject({ job, status: "ok", detail: { ran: job } });
      expect(store.runs).toHaveLength(1);
      expect(store.runs[0]).toMatchObject({ job, cron, status: "ok", scheduledAt: new Date("2026-11-29T10:05:00Z"), detail: { ran: job } });
    }
  });

  it("records a job that throws as error with its message and does not reject", async () => {
    const jobs: JobRegistry = {
      ...JOBS,
      rollups: async () => {
        throw new Error("ClickHouse unreachable");
      },
    };
    const store = memoryStore();
    const result = await dispatchCron({ jobs, store, context: context("*/5 * * * *"), logError });
    expect(result).toMatchObject({ job: "rollups", status: "error", detail: { error: "ClickHouse unreachable" } });
    expect(store.runs[0]).toMatchObject({ job: "rollups", status: "error", detail: { error: "ClickHouse unreachable" } });
  });

  it("records a successful job as ok with its detail", async () => {
    const jobs: JobRegistry = { ...JOBS, alerts: async () => ({ status: "ok", detail: { evaluated: 3 } }) };
    const store = memoryStore();
    await dispatchCron({ jobs, store, context: context("* * * * *"), logError });
    expect(store.runs[0]).toMatchObject({ job: "alerts", status: "ok", detail: { evaluated: 3 } });
  });

  it("logs and records an unknown cron expression as an error", async () => {
    errors.length = 0;
    const store = memoryStore();
    const result = await dispatchCron({ jobs: JOBS, store, context: context("0 0 * * *"), logError });
    expect(result).toMatchObject({ job: UNKNOWN_JOB, status: "error" });
    expect(store.runs).toEqual([
      expect.objectContaining({
        job: UNKNOWN_JOB,
        cron: "0 0 * * *",
        status: "error",
        detail: { error: 'no job registered for cron "0 0 * * *"' },
      }),
    ]);
    expect(errors).toContainEqual({ message: "unknown cron expression", fields: { cron: "0 0 * * *" } });
  });

  it("still runs the job and resolves when the run store is down", async () => {
    let ran = false;
    const jobs: JobRegistry = {
      ...JOBS,
      alerts: async () => {
        ran = true;
        return { status: "ok", detail: {} };
      },
    };
    const store = memoryStore();
    store.failWith = new Error("database down");
    const result = await dispatchCron({ jobs, store, context: context("* * * * *"), logError });
    expect(ran).toBe(true);
    expect(result).toMatchObject({ job: "alerts", status: "ok", recordError: "run start not recorded" });
    const unknown = await dispatchCron({ jobs, store, context: context("1 2 3 4 5"), logError });
    expect(unknown).toMatchObject({ job: UNKNOWN_JOB, status: "error", recordError: "database down" });
  });
});
