/**
 * PartyKit (`partykit dev` of the faults stack) stopped, then paused, while API
 * traffic runs. /health reports it down (and only it) within its timeout, then ok
 * after the restart; the room token endpoint keeps answering (it needs no room);
 * a server publish to a room fails with a typed error within its timeout instead
 * of hanging, and works again after the restart.
 */
import { describe, expect, it } from "vitest";
import { FAULT_ROOM_TOKEN_SECRET, pauseProcess, startFaultPartykit, stopFaultPartykit } from "../../scripts/lib/fault-stack.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { PublishError, publishToRoom } from "../../shared/rooms/publish.ts";
import { call, healthChecks, createUsers, eventually, expectAcceptable, pipelineStats, expectNothingLost, settledAccounting, stackInfo, summarise, type Answer } from "./helpers.ts";
import { runFault } from "./scenario.ts";

const PUBLISH_TIMEOUT_MS = 2_000;

function publish() {
  return publishToRoom({
    host: localUrls(stackInfo().cfg).PARTYKIT_HOST,
    secret: FAULT_ROOM_TOKEN_SECRET,
    room: "faults-room",
    event: { name: "fault.test", data: { at: Date.now() } },
    timeoutMs: PUBLISH_TIMEOUT_MS,
  });
}

async function partykitDown(): Promise<void> {
  const health = await call("/health", { auth: false });
  expect(health.error).toBeUndefined();
  expect(health.status).toBe(503);
  const checks = healthChecks(health);
  expect(checks.partykit).toBe("down");
  expect([checks.postgres, checks.redis, checks.clickhouse]).toEqual(["ok", "ok", "ok"]);

  const token = await call("/v1/rooms/faults-room/token", { method: "POST", body: {} });
  expect(token.status).toBe(200);
  expect(typeof token.body?.token).toBe("string");

  const t0 = performance.now();
  const error = await publish().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(PublishError);
  expect((error as PublishError).code).toBe("room_publish_failed");
  // Bounded by its own timeout (plus generous slack for a loaded machine), not hung.
  expect(performance.now() - t0).toBeLessThan(PUBLISH_TIMEOUT_MS + 5_000);
}

function expectAll2xx(answers: readonly Answer[]): void {
  expect(answers.filter((a) => a.status < 200 || a.status >= 300).map((a) => `${a.label} ${a.error ?? a.status}`), JSON.stringify(summarise(answers))).toEqual([]);
}

describe("PartyKit", () => {
  let isolate = "";

  it("stopped: /health says partykit is down, tokens still issue, a publish fails cleanly; all ok after the restart", async () => {
    isolate = (await pipelineStats()).isolate;
    const { cfg } = stackInfo();
    expect((await publish()).delivered).toBe(0);
    const hot = await createUsers(2);
    const run = await runFault("partykit", "stop", {
      hot,
      probe: partykitDown,
      stop: () => stopFaultPartykit(cfg),
      restart: () => startFaultPartykit(cfg),
    });
    expectAll2xx(run.during);
    expectAcceptable(run.after);
    await eventually("publish after the restart", async () => (await publish()).delivered === 0, 30_000);
  });

  it("paused (SIGSTOP): /health answers within its timeout with partykit down, a publish times out cleanly; recovers after SIGCONT", async () => {
    const { cfg } = stackInfo();
    const hot = await createUsers(2);
    const run = await runFault("partykit", "pause", { hot, probe: partykitDown, pause: () => pauseProcess(cfg, "partykit") });
    expectAll2xx(run.during);
    expectAcceptable(run.after);
    await eventually("publish after SIGCONT", async () => (await publish()).delivered === 0, 30_000);
  });

  it("loses no metrics event it did not count as dropped", async () => {
    const accounting = await settledAccounting(isolate);
    expectNothingLost(accounting);
  });
});
