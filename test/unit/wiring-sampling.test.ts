import { describe, expect, it } from "vitest";
import { agentRoom, agentRoomStats, publishAgentState } from "../../functions/agent-room.ts";
import { sampleCacheCounters, withDropCounting } from "../../functions/analytics.ts";
import type { CacheEventRow } from "../../shared/analytics/event-rows.ts";
import type { EventSink, EventSinkStats } from "../../shared/analytics/event-sink.ts";
import type { AgentState } from "../../shared/api/schemas/agent-states.ts";
import type { CacheStatsSnapshot } from "../../shared/cache/types.ts";
import { loadConfig } from "../../shared/config.ts";
import { withIngestionDrops } from "../../shared/monitoring/ingestion-drops.ts";
import type { MetricSource } from "../../shared/monitoring/metrics.ts";

function fakeSink(dropped = { n: 0 }) {
  const rows: CacheEventRow[] = [];
  let flushes = 0;
  const stats = (): EventSinkStats => ({ in: 0, stored: 0, dropped: dropped.n, queued: 0, failedInserts: 0, tables: {} });
  const sink: EventSink = {
    record: (_table, row) => void rows.push(row as CacheEventRow),
    isDue: () => false,
    msUntilDue: () => undefined,
    flushDue: async () => void (flushes += 1),
    settle: async () => void (flushes += 1),
    flush: async () => void (flushes += 1),
    drain: async () => undefined,
    close: async () => undefined,
    stats,
    dropped: () => dropped.n,
  };
  return { sink, rows, dropped, flushes: () => flushes };
}

function cacheStats(l1: { hits: number; misses: number; staleHits?: number }, l2?: { hits: number; misses: number }): CacheStatsSnapshot {
  const tier = { staleHits: 0, sets: 0, evictions: 0, errors: 0, hitRatio: 0 };
  return {
    l1: { ...tier, ...l1, entries: 0, bytes: 0, maxEntries: 1, maxBytes: 1 },
    l2: { ...tier, ...(l2 ?? { hits: 0, misses: 0 }), timeouts: 0, enabled: l2 !== undefined },
  } as unknown as CacheStatsSnapshot;
}

describe("cache counters sampled into cache_events", () => {
  it("samples at once, then at most every interval, recording deltas per tier", () => {
    const { sink, rows } = fakeSink();
    let reads = 0;
    let current = cacheStats({ hits: 5, misses: 2, staleHits: 1 }, { hits: 1, misses: 1 });
    const read = () => {
      reads += 1;
      return current;
    };
    expect(sampleCacheCounters(sink, 1000, read, 10_000)).toBe(2);
    expect(rows.map((r) => [r.tier, r.hits, r.misses])).toEqual([["l1", 6, 2], ["l2", 1, 1]]);
    current = cacheStats({ hits: 9, misses: 2, staleHits: 1 }, { hits: 1, misses: 3 });
    expect(sampleCacheCounters(sink, 1000, read, 10_500)).toBe(0);
    expect(reads).toBe(1);
    expect(sampleCacheCounters(sink, 1000, read, 11_000)).toBe(2);
    expect(rows.slice(2).map((r) => [r.tier, r.hits, r.misses])).toEqual([["l1", 4, 0], ["l2", 0, 2]]);
  });

  it("leaves out a disabled L2 tier and records nothing when nothing moved", () => {
    const { sink, rows } = fakeSink();
    expect(sampleCacheCounters(sink, 0, () => cacheStats({ hits: 0, misses: 0 }), 1)).toBe(0);
    expect(sampleCacheCounters(sink, 0, () => cacheStats({ hits: 1, misses: 0 }), 2)).toBe(1);
    expect(rows[0]!.tier).toBe("l1");
  });
});

describe("dropped events counted after each flush", () => {
  it("reports each drop once, across flushes", async () => {
    const calls: [string, number][] = [];
    const redis = {
      incrby: async (key: string, n: number) => (calls.push([key, n]), n),
      expire: async () => 1,
      mget: async () => [],
    };
    const fake = fakeSink();
    const sink = withDropCounting(fake.sink, redis, { prefix: "t:", ttlSeconds: 600 });
    await sink.flushDue();
    expect(calls).toEqual([]);
    fake.dropped.n = 7;
    await Promise.all([sink.flushDue(), sink.flush()]);
    fake.dropped.n = 9;
    await sink.close();
    expect(calls.map(([, n]) => n)).toEqual([7, 2]);
    expect(calls[0]![0]).toMatch(/^t:ingestion-drops:\d+$/);
    expect(fake.flushes()).toBe(3);
  });

  it("keeps a failed report for the next flush", async () => {
    let fail = true;
    const seen: number[] = [];
    const redis = {
      incrby: async (_k: string, n: number) => {
        if (fail) throw new Error("redis down");
        seen.push(n);
        return n;
      },
      expire: async () => 1,
      mget: async () => [],
    };
    const fake = fakeSink({ n: 3 });
    const sink = withDropCounting(fake.sink, redis, { prefix: "t:", ttlSeconds: 600 });
    await sink.flush();
    fail = false;
    fake.dropped.n = 4;
    await sink.flush();
    expect(seen).toEqual([4]);
  });

  it("routes ingestion_drops to the drop source and everything else to the rollups", async () => {
    const source = (value: number): MetricSource => ({ sample: async () => ({ value, samples: 1 }), series: async () => [{ t: 0, value, samples: 1 }] });
    const combined = withIngestionDrops(source(1), source(2));
    const window = { from: new Date(0), to: new Date(60_000) };
    expect((await combined.sample({ metric: "ingestion_drops", ...window })).value).toBe(2);
    expect((await combined.sample({ metric: "error_rate", ...window })).value).toBe(1);
    expect((await combined.series({ metric: "ingestion_drops", ...window, stepSeconds: 60 }))[0]!.value).toBe(2);
  });
});

describe("agent state events", () => {
  const state: AgentState = { sessionId: "s-1", userId: "1", state: "running", data: { step: 2 }, version: 3, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:01.000Z" } as AgentState;
  const config = loadConfig({ DATABASE_URL: "postgres://u:p@h/db", ROOM_TOKEN_SECRET: "a-room-secret-for-tests" });
  /** A room reached like the Worker's binding stub: by path relative to the room. */
  const target = (fetcher: (path: string, init: RequestInit) => Promise<Response>) => ({ fetch: (path: string, init?: RequestInit) => fetcher(path, init ?? {}) });

  it("publishes agent.state with the session's state, version and time to room agent-<sessionId>", async () => {
    let seen: { url: string; auth: string | null; body: unknown } | undefined;
    const room = target(async (url, init) => {
      seen = { url, auth: new Headers(init.headers).get("authorization"), body: JSON.parse(String(init.body)) };
      return new Response(JSON.stringify({ delivered: 1, missed: 0 }), { status: 202 });
    });
    expect(await publishAgentState(config, room, state)).toEqual({ delivered: 1, missed: 0 });
    expect(seen).toEqual({
      url: "",
      auth: "Bearer a-room-secret-for-tests",
      body: { event: { name: "agent.state", data: { sessionId: "s-1", state: "running", version: 3, updatedAt: "2026-01-01T00:00:01.000Z" } } },
    });
    expect(agentRoom("s-1")).toBe("agent-s-1");
  });

  it("counts a room that is down or refuses, and never rejects", async () => {
    const before = agentRoomStats().failed;
    const refused = target(async () => new Response("{}", { status: 401 }));
    const down = target(async () => {
      throw new TypeError("connect ECONNREFUSED");
    });
    expect(await publishAgentState(config, refused, state)).toBeUndefined();
    expect(await publishAgentState(config, down, state)).toBeUndefined();
    expect(agentRoomStats().failed - before).toBe(2);
  });

  it("does nothing when rooms are not configured", async () => {
    const bare = loadConfig({ DATABASE_URL: "postgres://u:p@h/db" });
    const room = target(async () => {
      throw new Error("must not be called");
    });
    expect(await publishAgentState(bare, room, state)).toBeUndefined();
    expect(await publishAgentState(config, undefined, state)).toBeUndefined();
  });
});
