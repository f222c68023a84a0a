/**
 * Redis (behind the Upstash REST endpoint) stopped, then paused, while traffic runs.
 * Redis is only the cache's second tier: every read and write must still answer 2xx
 * (L1, or the database), /health must say redis is down within its timeout, and the
 * cache must use Redis again after the restart.
 */
import { describe, expect, it } from "vitest";
import { call, healthChecks, createUsers, expectAcceptable, pipelineStats, expectNothingLost, settledAccounting, summarise, type Answer } from "./helpers.ts";
import { runFault } from "./scenario.ts";

async function redisDownInHealth(): Promise<void> {
  const health = await call("/health", { auth: false });
  expect(health.error).toBeUndefined();
  expect(health.status).toBe(503);
  expect(healthChecks(health).redis).toBe("down");
  expect(healthChecks(health).postgres).toBe("ok");
}

function expectAll2xx(answers: readonly Answer[]): void {
  expect(answers.filter((a) => a.status < 200 || a.status >= 300).map((a) => `${a.label} ${a.error ?? a.status}`), JSON.stringify(summarise(answers))).toEqual([]);
}

describe("Redis (behind the Upstash endpoint)", () => {
  let isolate = "";

  it("stopped: reads and writes still answer 2xx from L1 and Postgres; recovers after the restart", async () => {
    isolate = (await pipelineStats()).isolate;
    const hot = await createUsers(3);
    const run = await runFault("redis", "stop", { hot, probe: redisDownInHealth });
    expect(run.during.length).toBeGreaterThan(20);
    expectAll2xx(run.before);
    expectAll2xx(run.during);
    expectAcceptable(run.after);
    expect(run.during.some((a) => a.label === "cold read" && a.xCache === "miss")).toBe(true);
    // Recovered means /health is 200 again, so the Worker reaches Redis through Upstash.
    expect(Number.isFinite(run.recoveryMs)).toBe(true);
  });

  it("paused (SIGSTOP): every answer stays 2xx and bounded; recovers after SIGCONT", async () => {
    const hot = await createUsers(3);
    const run = await runFault("redis", "pause", { hot, holdMs: 5_000, probe: redisDownInHealth });
    expect(run.during.length).toBeGreaterThan(10);
    expectAll2xx(run.during);
    expectAll2xx(run.after);
  });

  it("loses no metrics event it did not count as dropped", async () => {
    const accounting = await settledAccounting(isolate);
    expectNothingLost(accounting);
  });
});
