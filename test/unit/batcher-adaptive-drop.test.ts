import { describe, expect, it } from "vitest";
import { AdaptiveBatchSize } from "../../shared/batching/adaptive-batch-size.ts";
import { ManualScheduler } from "../../shared/batching/manual-scheduler.ts";
import { MessageBatcher } from "../../shared/batching/message-batcher.ts";
import type { BatcherSettings, FlushRecord } from "../../shared/batching/message-batcher-types.ts";
import { decodeFrame } from "../../shared/batching/wire.ts";
import { BASE_BATCHER_SETTINGS } from "./batcher-fixture.ts";

const base: BatcherSettings = { ...BASE_BATCHER_SETTINGS, adaptive: true };

/** `count` messages, one every `gapMs`, on the manual clock. */
function feed(clock: ManualScheduler, batcher: MessageBatcher, count: number, gapMs: number, priority = 0) {
  for (let i = 0; i < count; i++) {
    batcher.enqueue(JSON.stringify({ i }), priority);
    clock.advance(gapMs);
  }
}

describe("adaptive strategy", () => {
  it("grows the batch size under load up to adaptiveMax and shrinks it to adaptiveMin when quiet", () => {
    const clock = new ManualScheduler();
    const flushes: FlushRecord[] = [];
    const batcher = new MessageBatcher({ send: () => undefined }, base, clock, { onFlush: (r) => flushes.push(r) });
    expect(batcher.batchTarget()).toBe(2);
    feed(clock, batcher, 2000, 0.5); // 2 messages per ms for a second
    expect(batcher.batchTarget()).toBe(50);
    const loaded = flushes.slice(-10);
    expect(loaded.every((f) => f.size === 50 && f.cause === "size")).toBe(true);
    feed(clock, batcher, 20, 250); // one message every 250 ms
    expect(batcher.batchTarget()).toBe(2);
  });

  it("sits between the bounds at a moderate rate", () => {
    const clock = new ManualScheduler();
    const batcher = new MessageBatcher({ send: () => undefined }, base, clock);
    feed(clock, batcher, 1000, 5); // 0.2 per ms -> 0.2 * 100 / 2 = 10
    expect(batcher.batchTarget()).toBe(10);
  });

  it("grows with the cost of a send at the same rate", () => {
    const cheap = new AdaptiveBatchSize({ min: 2, max: 50, maxWaitMs: 100 });
    const costly = new AdaptiveBatchSize({ min: 2, max: 50, maxWaitMs: 100 });
    for (let t = 0; t < 1000; t += 5) {
      cheap.recordArrival(t);
      costly.recordArrival(t);
    }
    for (let i = 0; i < 50; i++) costly.recordSend(2);
    expect(cheap.target(1000)).toBe(10);
    expect(costly.target(1000)).toBeGreaterThanOrEqual(25);
  });

  it("ignores the fixed maxBatchSize when adaptive", () => {
    const clock = new ManualScheduler();
    const frames: string[] = [];
    const batcher = new MessageBatcher({ send: (f) => frames.push(f) }, { ...base, maxBatchSize: 10 }, clock);
    feed(clock, batcher, 3000, 0.25);
    expect(decodeFrame(frames.at(-1)!).messages.length).toBe(50);
  });
});

describe("bounded queue", () => {
  function slow(queueLimit: number) {
    const clock = new ManualScheduler();
    const frames: string[] = [];
    const drops: number[] = [];
    const batcher = new MessageBatcher(
      { send: (f) => frames.push(f), bufferedAmount: () => Number.MAX_SAFE_INTEGER },
      { ...base, adaptive: false, maxBatchSize: 100, queueLimit },
      clock,
      { onDrop: (p) => drops.push(p) },
    );
    return { clock, frames, drops, batcher };
  }

  it("drops the oldest message of the lowest priority, counts it, and announces it in the next frame", () => {
    const { frames, drops, batcher } = slow(3);
    batcher.enqueue(JSON.stringify("a1"), 1);
    batcher.enqueue(JSON.stringify("b0"), 0);
    batcher.enqueue(JSON.stringify("c0"), 0);
    batcher.enqueue(JSON.stringify("d2"), 2); // full: b0 (lowest, oldest) goes
    batcher.enqueue(JSON.stringify("e1"), 1); // full: c0 goes
    expect(drops).toEqual([0, 0]);
    expect(batcher.stats.dropped).toBe(2);
    batcher.enqueue(JSON.stringify("URGENT"), 3);
    const frame = decodeFrame(frames[0]!);
    expect(frame.messages).toEqual(["a1", "d2", "e1", "URGENT"]);
    expect(frame.dropped).toBe(2);
  });

  it("drops the incoming message when it is lower than everything queued", () => {
    const { frames, drops, batcher } = slow(2);
    batcher.enqueue(JSON.stringify("x2"), 2);
    batcher.enqueue(JSON.stringify("y2"), 2);
    batcher.enqueue(JSON.stringify("z0"), 0);
    expect(drops).toEqual([0]);
    batcher.flush();
    expect(decodeFrame(frames[0]!).messages).toEqual(["x2", "y2"]);
  });

  it("never drops a priority message, however full the queue", () => {
    const { frames, batcher } = slow(5);
    for (let i = 0; i < 50; i++) batcher.enqueue(JSON.stringify(i), 0);
    for (let i = 0; i < 20; i++) batcher.enqueue(JSON.stringify(`p${i}`), 4);
    const priority = frames.flatMap((f) => decodeFrame(f).messages).filter((m) => typeof m === "string");
    expect(priority).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
    expect(batcher.stats.dropped).toBe(45);
  });

  it("keeps memory bounded under a sustained flood to a stalled socket", () => {
    const { clock, batcher } = slow(100);
    feed(clock, batcher, 10_000, 0.1);
    expect(batcher.queued).toBe(100);
    expect(batcher.stats.dropped).toBe(9_900);
  });
});
