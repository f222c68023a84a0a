import { describe, expect, it, vi } from "vitest";
import { cacheCounterRows, cacheCounterSampler } from "../../shared/analytics/cache-events.ts";
import { createEventSink, estimateRowBytes } from "../../shared/analytics/event-sink.ts";
import { MAX_SPAN_MS, parseMetricsQuery } from "../../shared/analytics/ops-metrics.ts";
import { MAX_STATEMENT_CHARS, queryEventObserver, queryEventRow } from "../../shared/analytics/query-events.ts";
import { cacheTier, responseBytes, serverTimingDbMs } from "../../shared/analytics/request-events.ts";
import { roomEventRow } from "../../shared/analytics/room-events.ts";
import { REQUEST_HOUR, USER_ACTIVITY_DAY } from "../../shared/analytics/rollup-views.ts";
import { closedWindow } from "../../shared/analytics/rollups/consistency.ts";
import { partitionEnd } from "../../shared/analytics/rollups/retention.ts";

/**
 * A sink whose clock moves only when a test releases one of its sleeps (each release jumps the
 * clock to that sleep's end): settles that wait can be finished in any order.
 */
function steppedSink(maxBatchSize: number, onInsert: (rows: number) => void) {
  const releases: (() => void)[] = [];
  const clock = { now: 0 };
  const sink = createEventSink({
    writer: { insert: async (_t, rows) => void onInsert(rows.length) },
    batch: { maxBatchSize, flushIntervalMs: 1000 },
    analytics: { maxQueueEvents: 1000, maxBatchBytes: 1 << 20, maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 1 },
    clock: { now: () => clock.now },
    sleep: (ms) => {
      const end = clock.now + ms;
      return new Promise<void>((resolve) => releases.push(() => { clock.now = end; resolve(); }));
    },
  });
  return { sink, releases, clock };
}

describe("request event fields", () => {
  it("reads the db entry of server-timing, summing repeats and ignoring the rest", () => {
    expect(serverTimingDbMs("cache;desc=l1, db;dur=12.5, total;dur=20")).toBe(12.5);
    expect(serverTimingDbMs("db;dur=1.5, db;desc=\"x\";dur=2")).toBe(3.5);
    expect(serverTimingDbMs("DB;DUR=\"4\"")).toBe(4);
    expect(serverTimingDbMs("dbx;dur=9, total;dur=3")).toBe(0);
    expect(serverTimingDbMs("db;dur=abc")).toBe(0);
    expect(serverTimingDbMs(null)).toBe(0);
  });

  it("normalises x-cache tiers and response sizes", () => {
    expect(cacheTier("L1")).toBe("l1");
    expect(cacheTier(" miss ")).toBe("miss");
    expect(cacheTier("HIT from cloudfront")).toBe("other");
    expect(cacheTier(null)).toBe("");
    expect(responseBytes("512")).toBe(512);
    expect(responseBytes("-1")).toBe(0);
    expect(responseBytes("1e3")).toBe(0);
    expect(responseBytes(undefined)).toBe(0);
  });
});

describe("event adapters", () => {
  const event = { fingerprint: "ab12", statement: "select * from users where id = $1", kind: "read" as const, durationMs: 3.2, dbMs: 2.9, rows: 1, tier: "miss" as const, slow: false, at: 1_700_000_000_000 };

  it("maps a query event to a row, bounding the statement", () => {
    expect(queryEventRow(event, "iso")).toEqual({
      ts: 1_700_000_000_000, fingerprint: "ab12", statement: event.statement, kind: "read", duration_ms: 3.2, db_ms: 2.9, rows: 1,
      tier: "miss", slow: false, error: "", request_id: "", isolate_id: "iso",
    });
    expect(queryEventRow({ ...event, statement: "x".repeat(10_000), error: "db_error", requestId: "r1" }, "iso")).toMatchObject({
      statement: "x".repeat(MAX_STATEMENT_CHARS), error: "db_error", request_id: "r1",
    });
  });

  it("the query observer never throws, even when the sink does", () => {
    const observe = queryEventObserver({ record: () => { throw new Error("boom"); } }, "iso");
    expect(() => observe(event)).not.toThrow();
  });

  it("turns cache counter snapshots into deltas per tier, skipping idle tiers and handling resets", () => {
    const before = { l1: { hits: 10, misses: 2, evictions: 0 }, l2: { hits: 5, misses: 5, evictions: 0 } };
    const after = { l1: { hits: 15, misses: 2, evictions: 1, sets: 3 }, l2: { hits: 5, misses: 5, evictions: 0 }, redis: { hits: 1, misses: 0, evictions: 0 } };
    expect(cacheCounterRows(before, after, 5, "iso")).toEqual([
      { ts: 5, tier: "l1", hits: 5, misses: 0, evictions: 1, sets: 3, isolate_id: "iso" },
      { ts: 5, tier: "redis", hits: 1, misses: 0, evictions: 0, sets: 0, isolate_id: "iso" },
    ]);
    expect(cacheCounterRows(after, { l1: { hits: 2, misses: 0, evictions: 0 } }, 6, "iso")).toEqual([
      { ts: 6, tier: "l1", hits: 2, misses: 0, evictions: 0, sets: 0, isolate_id: "iso" },
    ]);
    const sampler = cacheCounterSampler("iso");
    const live = { l1: { hits: 1, misses: 0, evictions: 0 } };
    expect(sampler.sample(live, 1)).toHaveLength(1);
    live.l1.hits = 4;
    expect(sampler.sample(live, 2)).toEqual([{ ts: 2, tier: "l1", hits: 3, misses: 0, evictions: 0, sets: 0, isolate_id: "iso" }]);
  });

  it("maps a room event with defaults for the fields its kind does not use", () => {
    expect(roomEventRow({ kind: "connect", party: "main", room: "r", at: 9, connections: 2 })).toEqual({
      ts: 9, party: "main", room: "r", kind: "connect", connections: 2, frames: 0, batch_size: 0, queue_wait_ms: 0, dropped: 0,
    });
  });
});

describe("event sink", () => {
  it("routes rows per table, batches them and counts in/stored per table", async () => {
    const inserts: { table: string; n: number }[] = [];
    const sink = createEventSink({
      writer: { insert: async (table, rows) => void inserts.push({ table, n: rows.length }) },
      batch: { maxBatchSize: 2, flushIntervalMs: 1000 },
      analytics: { maxQueueEvents: 100, maxBatchBytes: 1 << 20, maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 1 },
      clock: { now: () => 0 },
    });
    const row = roomEventRow({ kind: "connect", party: "p", room: "r", at: 1, connections: 1 });
    sink.record("room_events", row);
    expect(sink.isDue()).toBe(false);
    sink.record("room_events", row);
    sink.record("cache_events", { ts: 1, tier: "l1", hits: 1, misses: 0, evictions: 0, sets: 0, isolate_id: "i" });
    expect(sink.isDue()).toBe(true);
    await sink.flushDue();
    expect(inserts).toEqual([{ table: "room_events", n: 2 }]);
    await sink.flush();
    expect(inserts).toEqual([{ table: "room_events", n: 2 }, { table: "cache_events", n: 1 }]);
    expect(sink.stats()).toMatchObject({ in: 3, stored: 3, dropped: 0, tables: { room_events: { in: 2, stored: 2 }, cache_events: { in: 1, stored: 1 } } });
  });

  it("estimates row size from its strings", () => {
    expect(estimateRowBytes({ a: "xxxx", b: 1 })).toBe(2 + 4 + 16 + 16);
  });
});

describe("ops metrics parameters", () => {
  const now = Date.UTC(2026, 10, 29, 12, 30);

  it("defaults to the last day hourly, aligned to whole buckets", () => {
    expect(parseMetricsQuery({}, now)).toEqual({
      ok: true, query: { granularity: "hour", from: Date.UTC(2026, 10, 28, 12), to: Date.UTC(2026, 10, 29, 13), route: undefined },
    });
  });

  it("accepts ISO 8601 and epoch milliseconds", () => {
    const parsed = parseMetricsQuery({ granularity: "minute", from: "2026-11-29T10:00:30Z", to: String(Date.UTC(2026, 10, 29, 11)), route: "/v1/users/:id" }, now);
    expect(parsed).toEqual({ ok: true, query: { granularity: "minute", from: Date.UTC(2026, 10, 29, 10), to: Date.UTC(2026, 10, 29, 11), route: "/v1/users/:id" } });
  });

  it("bounds the span per granularity", () => {
    const to = Date.UTC(2026, 10, 29);
    expect(parseMetricsQuery({ granularity: "day", from: String(to - MAX_SPAN_MS.day), to: String(to) }, now).ok).toBe(true);
    expect(parseMetricsQuery({ granularity: "day", from: String(to - MAX_SPAN_MS.day - 86_400_000), to: String(to) }, now)).toMatchObject({ ok: false, field: "from" });
  });

  it("names the offending field", () => {
    expect(parseMetricsQuery({ granularity: "week" }, now)).toMatchObject({ ok: false, field: "granularity" });
    expect(parseMetricsQuery({ to: "tomorrow" }, now)).toMatchObject({ ok: false, field: "to" });
    expect(parseMetricsQuery({ from: "2026-11-29T10:00:00" }, now)).toMatchObject({ ok: false, field: "from" });
    expect(parseMetricsQuery({ route: "x" }, now)).toMatchObject({ ok: false, field: "route" });
    expect(parseMetricsQuery({ bucket: "1" }, now)).toMatchObject({ ok: false, field: "bucket" });
  });
});

describe("rollup job helpers", () => {
  it("finds the end of day and month partitions", () => {
    expect(partitionEnd("20261129", "day")).toBe(Date.UTC(2026, 10, 30));
    expect(partitionEnd("202612", "month")).toBe(Date.UTC(2027, 0, 1));
    expect(partitionEnd("all", "day")).toBeUndefined();
  });

  it("checks the last whole hour (or day) that ended at least the lag ago", () => {
    const now = Date.UTC(2026, 10, 29, 12, 10);
    expect(closedWindow(REQUEST_HOUR, now, 15 * 60_000)).toEqual({ from: Date.UTC(2026, 10, 29, 10), to: Date.UTC(2026, 10, 29, 11) });
    expect(closedWindow(USER_ACTIVITY_DAY, now, 15 * 60_000)).toEqual({ from: Date.UTC(2026, 10, 28), to: Date.UTC(2026, 10, 29) });
  });
});

describe("event sink settle (freshness without a later request)", () => {
  function harness(options: { flushIntervalMs: number; failFirst?: number; budgetMs?: number }) {
    let now = 0;
    let failures = options.failFirst ?? 0;
    const inserts: { at: number; n: number; token: string | undefined }[] = [];
    const sleeps: number[] = [];
    const sink = createEventSink({
      writer: {
        insert: async (_table, rows, insertOptions) => {
          if (failures-- > 0) throw new Error("ClickHouse down");
          inserts.push({ at: now, n: rows.length, token: insertOptions?.dedupToken });
        },
      },
      batch: { maxBatchSize: 100, flushIntervalMs: options.flushIntervalMs },
      analytics: { maxQueueEvents: 1000, maxBatchBytes: 1 << 20, maxAttempts: 10, retryBaseMs: 400, retryMaxMs: 400 },
      clock: { now: () => now },
      random: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      ...(options.budgetMs === undefined ? {} : { settleBudgetMs: options.budgetMs }),
    });
    const row = roomEventRow({ kind: "connect", party: "p", room: "r", at: 1, connections: 1 });
    return { sink, row, inserts, sleeps, advance: (ms: number) => void (now += ms) };
  }

  it("sends a lone event when its batch is due, with no further request", async () => {
    const { sink, row, inserts, sleeps, advance } = harness({ flushIntervalMs: 1000 });
    sink.record("room_events", row);
    advance(300);
    expect(sink.msUntilDue()).toBe(700);
    await sink.settle();
    expect(sleeps).toEqual([700]);
    expect(inserts).toEqual([{ at: 1000, n: 1, token: expect.any(String) }]);
    expect(sink.msUntilDue()).toBeUndefined();
  });

  it("sends at once with a zero interval", async () => {
    const { sink, row, inserts, sleeps } = harness({ flushIntervalMs: 0 });
    sink.record("room_events", row);
    await sink.settle();
    expect(sleeps).toEqual([]);
    expect(inserts).toHaveLength(1);
  });

  it("retries a failed insert after its backoff under the same token, within the budget", async () => {
    const { sink, row, inserts, sleeps } = harness({ flushIntervalMs: 0, failFirst: 2 });
    sink.record("room_events", row);
    await sink.settle();
    expect(sleeps).toEqual([200, 200]);
    expect(inserts).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ in: 1, stored: 1, dropped: 0, queued: 0, failedInserts: 2 });
  });

  it("gives up waiting at the budget and leaves the events queued for the next settle", async () => {
    const { sink, row, inserts } = harness({ flushIntervalMs: 0, failFirst: 100, budgetMs: 1000 });
    sink.record("room_events", row);
    await sink.settle();
    expect(inserts).toHaveLength(0);
    expect(sink.stats()).toMatchObject({ in: 1, stored: 0, dropped: 0, queued: 1 });
  });

  it("a settle while another holds the isolate open hands its events over: nothing to wait for, and the holder stores them too, in one insert", async () => {
    const inserts: { at: number; n: number }[] = [];
    const { sink, releases, clock } = steppedSink(100, (n) => inserts.push({ at: clock.now, n }));
    const row = roomEventRow({ kind: "connect", party: "p", room: "r", at: 1, connections: 1 });
    let firstDone = false;
    sink.record("room_events", row);
    const first = sink.settle()!.then(() => void (firstDone = true));
    clock.now += 400;
    sink.record("room_events", row);
    expect(sink.settle()).toBeUndefined();
    await vi.waitFor(() => expect(releases).toHaveLength(1));
    expect(firstDone).toBe(false);
    releases[0]!(); // the batch is due, 1000 ms after its first event
    await first;
    expect(inserts).toEqual([{ at: 1000, n: 2 }]);
    expect(sink.stats()).toMatchObject({ in: 2, stored: 2, queued: 0 });
  });

  it("a holder with less than half its budget left takes nothing over: the next settle holds for its events itself", async () => {
    const inserts: { at: number; n: number }[] = [];
    const { sink, releases, clock } = steppedSink(100, (n) => inserts.push({ at: clock.now, n }));
    const row = roomEventRow({ kind: "connect", party: "p", room: "r", at: 1, connections: 1 });
    sink.record("room_events", row);
    const first = sink.settle()!;
    clock.now += 10_001; // the default budget is 20 s
    sink.record("room_events", row);
    const second = sink.settle();
    expect(second).toBeDefined();
    await second;
    expect(inserts).toEqual([{ at: 10_001, n: 2 }]);
    releases[0]!();
    await first;
    expect(releases).toHaveLength(1);
  });

  it("a settle sends a full batch at once while another waits, and waits for the rest of its own events", async () => {
    const inserts: number[] = [];
    const { sink, releases } = steppedSink(2, (n) => inserts.push(n));
    const row = roomEventRow({ kind: "connect", party: "p", room: "r", at: 1, connections: 1 });
    sink.record("room_events", row);
    const waiting = sink.settle();
    sink.record("room_events", row);
    sink.record("room_events", row);
    let secondDone = false;
    const second = sink.settle()!.then(() => void (secondDone = true));
    await vi.waitFor(() => expect(releases).toHaveLength(2));
    expect(inserts).toEqual([2]);
    expect(secondDone).toBe(false);
    for (const release of releases) release();
    await Promise.all([waiting, second]);
    expect(inserts).toEqual([2, 1]);
  });

  it("never waits on an insert another settle started: polls on its own timer until that insert is done", async () => {
    let finishInsert = () => undefined as void;
    let calls = 0;
    const sleeps: number[] = [];
    const sink = createEventSink({
      writer: { insert: () => (++calls === 1 ? new Promise<void>((resolve) => (finishInsert = resolve)) : Promise.resolve()) },
      batch: { maxBatchSize: 100, flushIntervalMs: 0 },
      analytics: { maxQueueEvents: 1000, maxBatchBytes: 1 << 20, maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 1 },
      clock: { now: () => 0 },
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 3) finishInsert();
      },
    });
    const row = roomEventRow({ kind: "connect", party: "p", room: "r", at: 1, connections: 1 });
    sink.record("room_events", row);
    const owner = sink.settle();
    sink.record("room_events", row); // due at once (interval 0): this settle must send it itself
    await sink.settle();
    await owner;
    // Three polls until the insert was let go, and one more while its end reaches the processor.
    expect(sleeps).toEqual([25, 25, 25, 25]);
    expect(sink.stats()).toMatchObject({ in: 2, stored: 2, queued: 0 });
    expect(calls).toBe(2);
  });

  it("hands over to the newest settle: an older one ends while the insert is in flight, the newest holds until every event is stored", async () => {
    let finishFirst = () => undefined as void;
    let calls = 0;
    const sink = createEventSink({
      writer: { insert: () => (++calls === 1 ? new Promise<void>((resolve) => (finishFirst = resolve)) : Promise.resolve()) },
      batch: { maxBatchSize: 100, flushIntervalMs: 0 },
      analytics: { maxQueueEvents: 1000, maxBatchBytes: 1 << 20, maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 1 },
      clock: { now: () => 0 },
      sleep: () => new Promise<void>((resolve) => setImmediate(resolve)),
    });
    const row = roomEventRow({ kind: "connect", party: "p", room: "r", at: 1, connections: 1 });
    sink.record("room_events", row);
    const owner = sink.settle(); // sends the first event and holds on its insert
    sink.record("room_events", row);
    const older = sink.settle();
    sink.record("room_events", row);
    let newestDone = false;
    const newest = sink.settle()!.then(() => void (newestDone = true));
    await older; // its event is not stored yet: the newest settle carries it
    expect(sink.stats()).toMatchObject({ in: 3, stored: 0 });
    expect(newestDone).toBe(false);
    finishFirst();
    await Promise.all([owner, newest]);
    expect(sink.stats()).toMatchObject({ in: 3, stored: 3, queued: 0 });
    expect(calls).toBe(2);
  });

  it("drain sends what is not due yet and waits for the insert in flight, and still takes new events", async () => {
    const { sink, row, inserts } = harness({ flushIntervalMs: 60_000 });
    sink.record("room_events", row);
    sink.record("room_events", row);
    expect(sink.msUntilDue()).toBe(60_000);
    await sink.drain();
    expect(inserts).toEqual([{ at: 0, n: 2, token: expect.any(String) }]);
    sink.record("room_events", row);
    expect(sink.stats()).toMatchObject({ in: 3, stored: 2, queued: 1 });
  });
});
