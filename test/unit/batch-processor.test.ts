import { describe, expect, it } from "vitest";
import { BatchProcessor, backoffDelay, type BatchProcessorOptions } from "../../shared/batching/batch-processor.ts";

class FakeClock {
  t = 1_000_000;
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
  sleep = async (ms: number) => {
    this.t += ms;
  };
}

/** A sink that records batches and fails while `failing` is true (or for the next `failTimes` calls). */
class FakeSink {
  batches: number[][] = [];
  calls = 0;
  failing = false;
  failTimes = 0;
  send = async (batch: readonly number[]) => {
    this.calls++;
    if (this.failing || this.failTimes > 0) {
      this.failTimes = Math.max(0, this.failTimes - 1);
      throw new Error("sink down");
    }
    this.batches.push([...batch]);
  };
  get sent() {
    return this.batches.flat();
  }
}

function processor(overrides: Partial<BatchProcessorOptions<number>> = {}) {
  const clock = new FakeClock();
  const sink = new FakeSink();
  const dead: { items: number[]; error: unknown }[] = [];
  const bp = new BatchProcessor<number>({
    maxBatchSize: 100,
    flushIntervalMs: 1000,
    maxQueueItems: 1000,
    overflow: "drop-oldest",
    sink: sink.send,
    onDeadLetter: (items, error) => void dead.push({ items: [...items], error }),
    retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 10_000 },
    clock,
    random: () => 0.5,
    sleep: clock.sleep,
    ...overrides,
  });
  return { bp, clock, sink, dead };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("BatchProcessor: when a batch is due", () => {
  it("is due at maxBatchSize items, not before", async () => {
    const { bp, sink } = processor();
    for (const i of range(0, 99)) bp.add(i);
    expect(bp.isDue()).toBe(false);
    bp.add(99);
    expect(bp.isDue()).toBe(true);
    await bp.flushDue();
    expect(sink.batches).toEqual([range(0, 100)]);
    expect(bp.stats()).toMatchObject({ received: 100, sent: 100, batches: 1, queued: 0 });
  });

  it("says how long until a batch is due: the oldest item's age, a full batch, a retry backoff", async () => {
    const { bp, clock, sink } = processor();
    expect(bp.msUntilDue()).toBeUndefined();
    bp.add(1);
    clock.advance(600);
    expect(bp.msUntilDue()).toBe(400);
    for (const i of range(2, 99)) bp.add(i);
    expect(bp.msUntilDue()).toBe(0);
    sink.failTimes = 1;
    await bp.flushDue();
    const backoff = bp.msUntilDue()!;
    expect(backoff).toBeGreaterThan(0);
    clock.advance(backoff);
    expect(bp.msUntilDue()).toBe(0);
    expect(bp.isDue()).toBe(true);
  });

  it("is due when the oldest item reaches flushIntervalMs", async () => {
    const { bp, clock, sink } = processor();
    bp.add(1);
    clock.advance(600);
    bp.add(2);
    clock.advance(399);
    expect(bp.isDue()).toBe(false);
    await bp.flushDue();
    expect(sink.calls).toBe(0);
    clock.advance(1);
    expect(bp.isDue()).toBe(true);
    await bp.flushDue();
    expect(sink.batches).toEqual([[1, 2]]);
  });

  it("honours the byte budget: due once maxBatchBytes are queued, and no batch exceeds it", async () => {
    const { bp, sink } = processor({ maxBatchBytes: 250, sizeOf: () => 100 });
    bp.add(1);
    bp.add(2);
    expect(bp.isDue()).toBe(false);
    bp.add(3);
    expect(bp.isDue()).toBe(true);
    await bp.flush();
    expect(sink.batches).toEqual([[1, 2], [3]]);
  });

  it("flushDue sends only the due part; flush() on demand sends everything in maxBatchSize chunks", async () => {
    const { bp, sink } = processor({ maxBatchSize: 10 });
    for (const i of range(0, 25)) bp.add(i);
    await bp.flushDue();
    expect(sink.batches).toEqual([range(0, 10), range(10, 10)]);
    expect(bp.stats().queued).toBe(5);
    await bp.flush();
    expect(sink.batches.at(-1)).toEqual(range(20, 5));
    expect(bp.stats().queued).toBe(0);
  });
});

describe("BatchProcessor: failures", () => {
  it("keeps a failed batch in order at the head of the queue and retries it after the backoff", async () => {
    const { bp, clock, sink } = processor({ maxBatchSize: 3 });
    for (const i of range(0, 3)) bp.add(i);
    sink.failTimes = 1;
    await bp.flushDue();
    expect(sink.batches).toEqual([]);
    expect(bp.stats()).toMatchObject({ queued: 3, failedFlushes: 1, retried: 3, dropped: 0 });
    bp.add(3);
    // Backoff for attempt 1: base 100 ms, equal jitter with random 0.5 -> 75 ms.
    clock.advance(74);
    expect(bp.isDue()).toBe(false);
    clock.advance(1);
    expect(bp.isDue()).toBe(true);
    await bp.flush();
    expect(sink.sent).toEqual([0, 1, 2, 3]);
    expect(sink.batches[0]).toEqual([0, 1, 2]);
  });

  it("resends a failed batch as exactly the same batch under the same id; items queued meanwhile go in the next one", async () => {
    let next = 0;
    const calls: { items: number[]; id: string; attempt: number }[] = [];
    let failures = 2;
    const { bp } = processor({
      maxBatchSize: 5,
      newBatchId: () => `b${next++}`,
      sink: async (items, info) => {
        calls.push({ items: [...items], ...info });
        if (failures-- > 0) throw new Error("timed out (maybe stored)");
      },
    });
    for (const i of range(0, 3)) bp.add(i);
    await bp.flush();
    // Room for two more in the retried batch: they must not join it.
    for (const i of range(3, 4)) bp.add(i);
    await bp.close();
    expect(calls).toEqual([
      { items: [0, 1, 2], id: "b0", attempt: 1 },
      { items: [0, 1, 2], id: "b0", attempt: 2 },
      { items: [0, 1, 2], id: "b0", attempt: 3 },
      { items: [3, 4, 5, 6], id: "b1", attempt: 1 },
    ]);
  });

  it("keeps two failed batches apart, each under its own id, oldest first", async () => {
    let next = 0;
    const calls: { items: number[]; id: string }[] = [];
    let down = true;
    const { bp, clock } = processor({
      maxBatchSize: 2,
      maxConcurrentFlushes: 2,
      newBatchId: () => `b${next++}`,
      sink: async (items, info) => {
        calls.push({ items: [...items], id: info.id });
        if (down) throw new Error("down");
      },
    });
    for (const i of range(0, 4)) bp.add(i);
    await bp.flush();
    expect(calls).toEqual([{ items: [0, 1], id: "b0" }, { items: [2, 3], id: "b1" }]);
    down = false;
    bp.add(4);
    clock.advance(10_000);
    await bp.flush();
    const retried = calls.slice(2);
    expect(retried.map((c) => c.id).sort()).toEqual(["b0", "b1", "b2"]);
    expect(retried.find((c) => c.id === "b0")?.items).toEqual([0, 1]);
    expect(retried.find((c) => c.id === "b1")?.items).toEqual([2, 3]);
    expect(retried.find((c) => c.id === "b2")?.items).toEqual([4]);
  });

  it("dead-letters items after maxAttempts with the last error, and counts them as dropped", async () => {
    const { bp, sink, dead } = processor();
    sink.failing = true;
    for (const i of range(0, 5)) bp.add(i);
    await bp.close();
    expect(sink.calls).toBe(3);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.items).toEqual(range(0, 5));
    expect((dead[0]!.error as Error).message).toBe("sink down");
    expect(bp.stats()).toMatchObject({ received: 5, sent: 0, deadLettered: 5, dropped: 5, queued: 0, failedFlushes: 3 });
    expect([bp.received, bp.dropped, bp.finished]).toEqual([5, 5, 5]);
  });

  it("loses nothing while the sink is down and heals: every item arrives exactly once, in order", async () => {
    const { bp, clock, sink, dead } = processor({ maxBatchSize: 10, retry: { maxAttempts: 50, baseDelayMs: 10, maxDelayMs: 100 } });
    sink.failing = true;
    for (const i of range(0, 95)) {
      bp.add(i);
      clock.advance(5);
      await bp.flushDue();
    }
    expect(sink.sent).toEqual([]);
    sink.failing = false;
    await bp.close();
    expect(sink.sent).toEqual(range(0, 95));
    expect(dead).toEqual([]);
    expect(bp.stats()).toMatchObject({ sent: 95, dropped: 0 });
  });

  it("a throwing dead-letter handler is counted, not propagated", async () => {
    const { bp, sink } = processor({ onDeadLetter: () => { throw new Error("dlq down"); }, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    sink.failing = true;
    bp.add(1);
    await expect(bp.flush()).resolves.toBeUndefined();
    expect(bp.stats()).toMatchObject({ deadLettered: 1, deadLetterErrors: 1 });
  });

  it("a sink that throws synchronously is treated as a failed flush", async () => {
    const { bp } = processor({ sink: () => { throw new Error("sync"); }, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    bp.add(1);
    await bp.flush();
    expect(bp.stats()).toMatchObject({ failedFlushes: 1, deadLettered: 1 });
  });
});

describe("BatchProcessor: bounded memory", () => {
  it("drop-oldest evicts the oldest items and counts them", async () => {
    const { bp, sink } = processor({ maxBatchSize: 2, maxQueueItems: 3, overflow: "drop-oldest" });
    for (const i of range(0, 5)) expect(bp.add(i)).toBe(true);
    expect(bp.stats()).toMatchObject({ queued: 3, droppedOverflow: 2, dropped: 2 });
    expect([bp.received, bp.dropped, bp.finished]).toEqual([5, 2, 2]);
    await bp.flush();
    expect(sink.sent).toEqual([2, 3, 4]);
  });

  it("drop-newest refuses new items and counts them", async () => {
    const { bp, sink } = processor({ maxBatchSize: 2, maxQueueItems: 3, overflow: "drop-newest" });
    const accepted = range(0, 5).map((i) => bp.add(i));
    expect(accepted).toEqual([true, true, true, false, false]);
    await bp.flush();
    expect(sink.sent).toEqual([0, 1, 2]);
    expect(bp.stats().droppedOverflow).toBe(2);
  });

  it("bounds queued bytes too", () => {
    const { bp } = processor({ maxQueueBytes: 300, sizeOf: () => 100, overflow: "drop-newest" });
    expect(range(0, 4).map((i) => bp.add(i))).toEqual([true, true, true, false]);
  });

  it("refuses items after close() and counts them", async () => {
    const { bp } = processor();
    await bp.close();
    expect(bp.add(1)).toBe(false);
    expect(bp.stats()).toMatchObject({ received: 1, droppedOverflow: 1 });
  });

  it("rejects a queue bound smaller than a batch", () => {
    expect(() => processor({ maxBatchSize: 10, maxQueueItems: 5 })).toThrow(RangeError);
  });
});

describe("BatchProcessor: concurrency", () => {
  it("concurrent flushes never send an item twice", async () => {
    const clock = new FakeClock();
    const seen: number[] = [];
    const gates: (() => void)[] = [];
    const bp = new BatchProcessor<number>({
      maxBatchSize: 10,
      flushIntervalMs: 1000,
      maxQueueItems: 1000,
      overflow: "drop-oldest",
      maxConcurrentFlushes: 3,
      clock,
      sink: (batch) => new Promise<void>((resolve) => {
        seen.push(...batch);
        gates.push(resolve);
      }),
    });
    for (const i of range(0, 50)) bp.add(i);
    const flushes = [bp.flush(), bp.flushDue(), bp.flush()];
    expect(bp.stats().inFlight).toBe(3);
    while (bp.stats().inFlight > 0 || gates.length > 0) {
      gates.splice(0).forEach((open) => open());
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(flushes);
    expect([...seen].sort((a, b) => a - b)).toEqual(range(0, 50));
    expect(new Set(seen).size).toBe(50);
  });

  it("a flush started while another runs resolves only after the running one finished", async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const sent: number[] = [];
    const bp = new BatchProcessor<number>({
      maxBatchSize: 10, flushIntervalMs: 1000, maxQueueItems: 100, overflow: "drop-oldest", clock,
      sink: async (batch) => {
        await new Promise<void>((r) => (release = r));
        sent.push(...batch);
      },
    });
    bp.add(1);
    const first = bp.flush();
    let secondDone = false;
    const second = bp.flush().then(() => (secondDone = true));
    await new Promise((r) => setImmediate(r));
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(sent).toEqual([1]);
  });
});

describe("backoffDelay", () => {
  const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  it("doubles per attempt with jitter between half and the full delay, capped", () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 1, () => 0.999999)).toBeCloseTo(100, 3);
    expect(backoffDelay(policy, 3, () => 0)).toBe(200);
    expect(backoffDelay(policy, 10, () => 1)).toBe(1000);
  });
});
