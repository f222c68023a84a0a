import { describe, expect, it } from "vitest";
import { ManualScheduler } from "../../shared/batching/manual-scheduler.ts";
import { MessageBatcher } from "../../shared/batching/message-batcher.ts";
import type { BatcherSettings, Scheduler } from "../../shared/batching/message-batcher-types.ts";
import { BASE_BATCHER_SETTINGS } from "./batcher-fixture.ts";

const settings: BatcherSettings = { ...BASE_BATCHER_SETTINGS };

/** A busy runtime: every timer runs `lateMs` after it was due. */
function lateScheduler(clock: ManualScheduler, lateMs: number): Scheduler {
  return { now: () => clock.now(), setTimer: (ms, fn) => clock.setTimer(ms + lateMs, fn) };
}

/** One message every `gapMs` (each alone in its batch, so only the timer sends it); the queue wait of each. */
function waits(lateMs: number, count: number, gapMs = 250): number[] {
  const clock = new ManualScheduler(1_000);
  const out: number[] = [];
  const batcher = new MessageBatcher({ send: () => undefined }, settings, lateScheduler(clock, lateMs), { onFlush: (r) => out.push(...r.waitsMs) });
  for (let i = 0; i < count; i++) {
    batcher.enqueue(JSON.stringify({ i }));
    clock.advance(gapMs);
  }
  return out;
}

describe("timed flushes on a runtime whose timers run late", () => {
  it("keep a message's wait within maxWaitMs once the lateness is known", () => {
    const w = waits(30, 20);
    expect(w).toHaveLength(20);
    // The first timer shows the lateness; from then on timers are armed that much earlier.
    expect(w[0]).toBe(130);
    expect(Math.max(...w.slice(1))).toBeLessThanOrEqual(100);
  });

  it("still hold messages the full maxWaitMs when timers are on time (batching is not made eager)", () => {
    expect(waits(0, 10)).toEqual(Array(10).fill(100));
  });

  it("never arm earlier than half of maxWaitMs, however late the timers ran", () => {
    const w = waits(400, 5, 1_000);
    // Armed at most 50 ms early: each wait is the 400 ms lateness plus at least 50 ms.
    for (const x of w.slice(1)) expect(x).toBeGreaterThanOrEqual(450);
  });
});
