/**
 * Postgres stopped, then paused (the postmaster and every backend SIGSTOPped), while
 * traffic runs. Reads of warm rows are served from the cache (x-cache l1, or stale
 * within SWR); everything that needs the database answers a clean 503 problem+json
 * within the timeout; nothing hangs and there is no other 5xx. After the restart (or
 * SIGCONT) the API answers 200 again by itself.
 */
import { describe, expect, it } from "vitest";
import { call, healthChecks, createUsers, expectAcceptable, isClean503, pipelineStats, expectNothingLost, settledAccounting, summarise, type Answer } from "./helpers.ts";
import { runFault } from "./scenario.ts";

const CACHED = new Set(["l1", "stale", "l2"]);

async function postgresDownInHealth(): Promise<void> {
  const health = await call("/health", { auth: false });
  expect(health.error).toBeUndefined();
  expect(health.status).toBe(503);
  const checks = healthChecks(health);
  expect(checks.postgres).toBe("down");
  expect(checks.redis).toBe("ok");
}

/** Hot reads from the cache; the database's routes a 2xx or a clean 503 with a database code. */
function expectDegradedCleanly(answers: readonly Answer[]): void {
  expectAcceptable(answers);
  const hot = answers.filter((a) => a.label === "hot read");
  expect(hot.length).toBeGreaterThan(0);
  expect(hot.filter((a) => !(a.status === 200 && CACHED.has(a.xCache ?? ""))), JSON.stringify(summarise(answers))).toEqual([]);
  const failed = answers.filter((a) => a.status === 503);
  expect(failed.length, JSON.stringify(summarise(answers))).toBeGreaterThan(0);
  expect(failed.every((a) => isClean503(a) && ["db_unavailable", "statement_timeout"].includes(String(a.body?.code)))).toBe(true);
}

describe("Postgres", () => {
  // Writes here go to audit_logs only: a failed write to users (outcome unknown) rightly
  // invalidates every cached user, and the hot reads would then be misses, i.e. 503s.
  // The users writes under a database fault are covered by "writes to users" below.
  let isolate = "";

  it("stopped: warm reads from the cache, the rest a clean 503; recovers after the restart", async () => {
    isolate = (await pipelineStats()).isolate;
    const hot = await createUsers(3);
    const run = await runFault("postgres", "stop", { hot, writes: "audit-only", probe: postgresDownInHealth });
    console.log("[faults] postgres stopped:", summarise(run.during), `recovered in ${run.recoveryMs} ms`);
    expectAcceptable(run.before);
    expectDegradedCleanly(run.during);
    expectAcceptable(run.after);
  });

  it("paused (SIGSTOP): warm reads from the cache, the rest a clean 503 within the timeout; recovers after SIGCONT", async () => {
    const hot = await createUsers(3);
    // Longer than the statement timeout plus the fetch grace (2 s + 5 s): the 503s arrive while paused.
    const run = await runFault("postgres", "pause", { hot, writes: "audit-only", holdMs: 9_000, probe: postgresDownInHealth });
    console.log("[faults] postgres paused:", summarise(run.during), `recovered in ${run.recoveryMs} ms`);
    expectDegradedCleanly(run.during);
    expectAcceptable(run.after);
  });

  it("writes to users: stopped, then restarted, every answer a 2xx or a clean 503 (cached users invalidated: the write may have landed)", async () => {
    const hot = await createUsers(2);
    const run = await runFault("postgres", "stop", { hot, probe: postgresDownInHealth });
    console.log("[faults] postgres stopped, users written:", summarise(run.during), `recovered in ${run.recoveryMs} ms`);
    expectAcceptable(run.before);
    expectAcceptable(run.during);
    expectAcceptable(run.after);
    expect(run.during.some((a) => a.label === "PATCH user" && isClean503(a))).toBe(true);
  });

  it("loses no metrics event it did not count as dropped", async () => {
    const accounting = await settledAccounting(isolate);
    expectNothingLost(accounting);
  });
});
