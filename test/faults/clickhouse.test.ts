/**
 * The ClickHouse endpoint stopped, then paused, while traffic runs. The API does not
 * depend on it (events only queue): every answer stays 2xx. The ops metrics route
 * answers a clean 503, /health says clickhouse is down, and after the restart the
 * pipeline accounts for every event: stored in ClickHouse or counted as dropped.
 */
import { describe, expect, it } from "vitest";
import { call, healthChecks, createUsers, expectAcceptable, isClean503, pipelineStats, expectNothingLost, settledAccounting, summarise, type Answer } from "./helpers.ts";
import { runFault } from "./scenario.ts";

async function clickhouseDown(): Promise<void> {
  const health = await call("/health", { auth: false });
  expect(health.error).toBeUndefined();
  expect(health.status).toBe(503);
  expect(healthChecks(health).clickhouse).toBe("down");
  const series = await call("/v1/ops/metrics");
  expect(isClean503(series), JSON.stringify(series)).toBe(true);
  expect(series.body?.code).toBe("metrics_unavailable");
}

function expectAll2xx(answers: readonly Answer[]): void {
  expect(answers.filter((a) => a.status < 200 || a.status >= 300).map((a) => `${a.label} ${a.error ?? a.status}`), JSON.stringify(summarise(answers))).toEqual([]);
}

describe("ClickHouse endpoint", () => {
  let isolate = "";

  it("stopped: the API answers 2xx, ops metrics a clean 503; recovers after the restart", async () => {
    isolate = (await pipelineStats()).isolate;
    const hot = await createUsers(3);
    const before = await pipelineStats();
    const run = await runFault("clickhouse", "stop", { hot, holdMs: 5_000, probe: clickhouseDown });
    console.log("[faults] clickhouse stopped:", summarise(run.during));
    expect(run.during.length).toBeGreaterThan(20);
    expectAll2xx(run.before);
    expectAll2xx(run.during);
    expectAcceptable(run.after);
    expect((await call("/v1/ops/metrics")).status).toBe(200);
    const after = await pipelineStats();
    expect(after.failedInserts).toBeGreaterThan(before.failedInserts);
  });

  it("paused (SIGSTOP): the API answers 2xx within the bound; recovers after SIGCONT", async () => {
    const hot = await createUsers(3);
    const run = await runFault("clickhouse", "pause", { hot, holdMs: 5_000, probe: clickhouseDown });
    console.log("[faults] clickhouse paused:", summarise(run.during));
    expect(run.during.length).toBeGreaterThan(20);
    expectAll2xx(run.during);
    expectAcceptable(run.after);
  });

  it("loses no metrics event it did not count as dropped (events in = stored in ClickHouse + dropped)", async () => {
    const accounting = await settledAccounting(isolate);
    expect(accounting.stats.failedInserts).toBeGreaterThan(0);
    expectNothingLost(accounting);
  });

  it("drops nothing over outages within the retry bound: every event was held and delivered after", async () => {
    // The faults stack caps the backoff at 2 s (ANALYTICS_RETRY_MAX_MS), so the default 30 attempts hold an
    // event for at least 27 s; the 5 s outages above are well inside it, as 5 min is inside the production
    // bound (at least 5.6 min with the 30 s cap). Same logic, shortened time scale.
    const accounting = await settledAccounting(isolate);
    expect(accounting.stats.queued).toBe(0);
    expect(accounting.stats.dropped).toBe(0);
  });
});
