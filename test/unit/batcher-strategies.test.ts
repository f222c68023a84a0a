import { describe, expect, it } from "vitest";
import { ManualScheduler } from "../../shared/batching/manual-scheduler.ts";
import { MessageBatcher } from "../../shared/batching/message-batcher.ts";
import type { BatcherSettings, FlushRecord } from "../../shared/batching/message-batcher-types.ts";
import { decodeFrame } from "../../shared/batching/wire.ts";
import { BASE_BATCHER_SETTINGS } from "./batcher-fixture.ts";

const base: BatcherSettings = { ...BASE_BATCHER_SETTINGS };

function setup(overrides: Partial<BatcherSettings> = {}, buffered?: () => number) {
  const clock = new ManualScheduler(1_000);
  const frames: string[] = [];
  const flushes: FlushRecord[] = [];
  const sink = buffered ? { send: (f: string) => frames.push(f), bufferedAmount: buffered } : { send: (f: string) => frames.push(f) };
  const batcher = new MessageBatcher(sink, { ...base, ...overrides }, clock, { onFlush: (r) => flushes.push(r) });
  const decoded = () => frames.map(decodeFrame);
  const delivered = () => decoded().flatMap((f) => f.messages);
  return { clock, frames, flushes, batcher, decoded, delivered };
}

const msg = (n: number) => JSON.stringify({ n });

describe("time strategy", () => {
  it("holds messages until the oldest has waited maxWaitMs, then sends one frame", () => {
    const { clock, frames, batcher, flushes, delivered } = setup();
    batcher.enqueue(msg(1));
    clock.advance(40);
    batcher.enqueue(msg(2));
    clock.advance(59);
    expect(frames).toHaveLength(0);
    clock.advance(1);
    expect(frames).toHaveLength(1);
    expect(delivered()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(flushes[0]).toMatchObject({ cause: "time", size: 2, waitsMs: [100, 60] });
  });

  it("starts a fresh window for messages queued after a flush", () => {
    const { clock, frames, batcher } = setup();
    batcher.enqueue(msg(1));
    clock.advance(100);
    batcher.enqueue(msg(2));
    clock.advance(99);
    expect(frames).toHaveLength(1);
    clock.advance(1);
    expect(frames).toHaveLength(2);
  });
});

describe("size strategy", () => {
  it("sends as soon as maxBatchSize messages are queued", () => {
    const { frames, batcher, flushes, clock } = setup({ maxBatchSize: 4 });
    for (let i = 0; i < 9; i++) batcher.enqueue(msg(i));
    expect(frames).toHaveLength(2);
    expect(flushes.map((f) => f.cause)).toEqual(["size", "size"]);
    clock.advance(100);
    expect(flushes.map((f) => f.size)).toEqual([4, 4, 1]);
  });

  it("sends what is queued before a message that would exceed the byte budget", () => {
    const { frames, batcher, flushes } = setup({ maxBatchBytes: 1024 });
    const big = JSON.stringify({ pad: "x".repeat(400) });
    batcher.enqueue(big);
    batcher.enqueue(big);
    expect(frames).toHaveLength(0);
    batcher.enqueue(big);
    expect(frames).toHaveLength(1);
    expect(flushes[0]).toMatchObject({ cause: "bytes", size: 2 });
    expect(batcher.queued).toBe(1);
  });

  it("numbers messages consecutively across frames", () => {
    const { batcher, decoded } = setup({ maxBatchSize: 3 });
    for (let i = 0; i < 9; i++) batcher.enqueue(msg(i));
    expect(decoded().map((f) => f.seq)).toEqual([1, 4, 7]);
    expect(batcher.nextSeq).toBe(10);
  });
});

describe("priority strategy", () => {
  it("delivers a priority message at once, in one frame after everything queued before it", () => {
    const { frames, batcher, flushes, delivered } = setup();
    batcher.enqueue(msg(1), 0);
    batcher.enqueue(msg(2), 2);
    batcher.enqueue(msg(3), 3);
    expect(frames).toHaveLength(1);
    expect(delivered()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(flushes[0]).toMatchObject({ cause: "priority", priority: true, size: 3 });
  });

  it("never reorders: normal messages after a priority one wait for the next batch", () => {
    const { clock, batcher, delivered, decoded } = setup();
    batcher.enqueue(msg(1));
    batcher.enqueue(msg(2), 5);
    batcher.enqueue(msg(3));
    batcher.enqueue(msg(4), 9);
    batcher.enqueue(msg(5));
    clock.advance(100);
    expect(delivered()).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
    expect(decoded().map((f) => f.seq)).toEqual([1, 3, 5]);
  });

  it("counts the queue wait of normal messages only", () => {
    const { clock, batcher, flushes } = setup();
    batcher.enqueue(msg(1));
    clock.advance(30);
    batcher.enqueue(msg(2), 3);
    expect(flushes[0]!.waitsMs).toEqual([30]);
  });
});

describe("batching off", () => {
  it("sends every message in its own frame at once", () => {
    const { frames, batcher, flushes } = setup({ enabled: false });
    for (let i = 0; i < 5; i++) batcher.enqueue(msg(i));
    expect(frames).toHaveLength(5);
    expect(flushes.every((f) => f.cause === "unbatched" && f.size === 1)).toBe(true);
  });

  it("switching batching off flushes what is queued", () => {
    const { frames, batcher } = setup();
    batcher.enqueue(msg(1));
    batcher.configure({ ...base, enabled: false });
    expect(frames).toHaveLength(1);
  });
});

describe("slow consumer", () => {
  it("puts off timed flushes while the socket is backed up, then sends when it drains", () => {
    let buffered = 5 * 1024 * 1024;
    const { clock, frames, batcher } = setup({}, () => buffered);
    batcher.enqueue(msg(1));
    clock.advance(100);
    expect(frames).toHaveLength(0);
    expect(batcher.stats.deferred).toBe(1);
    buffered = 0;
    clock.advance(100);
    expect(frames).toHaveLength(1);
  });

  it("still delivers priority messages to a backed-up socket", () => {
    const { frames, batcher } = setup({}, () => 5 * 1024 * 1024);
    batcher.enqueue(msg(1));
    batcher.enqueue(msg(2), 3);
    expect(frames).toHaveLength(1);
  });

  it("close cancels the timer and sends nothing more", () => {
    const { clock, frames, batcher } = setup();
    batcher.enqueue(msg(1));
    batcher.close();
    batcher.enqueue(msg(2), 9);
    clock.advance(1_000);
    expect(frames).toHaveLength(0);
    expect(clock.pending).toBe(0);
  });
});
