import { describe, expect, it } from "vitest";
import { createTieredCache } from "../../shared/cache/index.ts";
import type { ReadContext, TieredCacheOptions } from "../../shared/cache/types.ts";
import { deferred, FakeClock, FakeStore } from "./cache-fakes.ts";

const TAGS = ["public.users"];
const POLICY = { ttlSeconds: 10, swrSeconds: 20 };

function setup(options: Partial<TieredCacheOptions> = {}, { withStore = true } = {}) {
  const clock = new FakeClock();
  const store = new FakeStore(clock);
  const make = () =>
    createTieredCache({
      store: withStore ? store : undefined,
      now: clock.now,
      // Lock polls advance the fake clock; the real macrotask hop lets the other "isolate" progress.
      sleep: async (ms) => {
        clock.advance(ms);
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
      options: { redisTimeoutMs: 25, tagCheckIntervalMs: 1000, ...options },
    });
  return { clock, store, cache: make(), make };
}

/** A loader that counts calls and returns `value()` each time. */
function counter<T>(value: () => T) {
  const loader = async () => {
    loader.calls++;
    return value();
  };
  loader.calls = 0;
  return loader;
}

function waitUntilCollector(): ReadContext & { pending: Promise<unknown>[]; settle(): Promise<unknown> } {
  const pending: Promise<unknown>[] = [];
  return { pending, waitUntil: (p) => void pending.push(p), settle: () => Promise.all(pending) };
}

describe("tiered read path", () => {
  it("loads on a miss, then serves from L1 without loading", async () => {
    const { cache } = setup();
    const load = counter(() => ({ id: 1, name: "ada" }));
    const first = await cache.read("k", TAGS, load, POLICY);
    const second = await cache.read("k", TAGS, load, POLICY);
    expect(first).toMatchObject({ tier: "miss", value: { id: 1, name: "ada" } });
    expect(second).toMatchObject({ tier: "l1", value: { id: 1, name: "ada" }, loadMs: 0 });
    expect(second.value).toBe(first.value);
    expect(load.calls).toBe(1);
    expect(cache.stats().l1).toMatchObject({ hits: 1, misses: 1, sets: 1, entries: 1, hitRatio: 0.5 });
  });

  it("hands out frozen values so one request cannot change another's", async () => {
    const { cache } = setup();
    const { value } = await cache.read("k", TAGS, async () => ({ rows: [{ id: 1 }] }), POLICY);
    expect(Object.isFrozen(value.rows[0])).toBe(true);
  });

  it("fills L1 from L2 in another isolate, then serves L1", async () => {
    const { cache: a, make } = setup();
    const b = make();
    const load = counter(() => ({ at: new Date(0), n: 7n }));
    await a.read("k", TAGS, load, POLICY);
    const fromL2 = await b.read("k", TAGS, load, POLICY);
    const fromL1 = await b.read("k", TAGS, load, POLICY);
    expect(fromL2.tier).toBe("l2");
    expect(fromL2.value).toEqual({ at: new Date(0), n: 7n });
    expect(fromL1.tier).toBe("l1");
    expect(load.calls).toBe(1);
    expect(b.stats().l2).toMatchObject({ hits: 1, misses: 0 });
    expect(a.stats().l2).toMatchObject({ hits: 0, misses: 1, sets: 1 });
  });

  it("serves stale within SWR once per key, refreshes once in waitUntil, then serves the new value", async () => {
    const { cache, clock } = setup();
    let version = 1;
    const load = counter(() => ({ version }));
    await cache.read("k", TAGS, load, POLICY);
    clock.advance(11_000);
    version = 2;
    const ctx = waitUntilCollector();
    const reads = await Promise.all(Array.from({ length: 20 }, () => cache.read("k", TAGS, load, POLICY, ctx)));
    expect(reads.every((r) => r.tier === "stale" && r.value.version === 1)).toBe(true);
    expect(ctx.pending).toHaveLength(1);
    await ctx.settle();
    expect(load.calls).toBe(2);
    expect(await cache.read("k", TAGS, load, POLICY)).toMatchObject({ tier: "l1", value: { version: 2 } });
    expect(cache.stats()).toMatchObject({ refreshes: 1, l1: { staleHits: 20 } });
  });

  it("stops serving an entry once past TTL + SWR", async () => {
    const { cache, clock } = setup({}, { withStore: false });
    const load = counter(() => "v");
    await cache.read("k", TAGS, load, POLICY);
    clock.advance(30_001);
    expect((await cache.read("k", TAGS, load, POLICY)).tier).toBe("miss");
    expect(load.calls).toBe(2);
  });

  it("bypasses the cache when the policy's TTL is 0", async () => {
    const { cache, store } = setup();
    const load = counter(() => "v");
    expect((await cache.read("k", TAGS, load, { ttlSeconds: 0 })).tier).toBe("bypass");
    expect((await cache.read("k", TAGS, load, { ttlSeconds: 0 })).tier).toBe("bypass");
    expect(load.calls).toBe(2);
    expect(store.calls).toBe(0);
    expect(cache.stats().bypass).toBe(2);
  });
});

describe("stampede protection", () => {
  it("runs one load for 100 concurrent misses in one isolate", async () => {
    const { cache } = setup();
    const gate = deferred<void>();
    let loads = 0;
    const load = async () => {
      loads++;
      await gate.promise;
      return { id: 1 };
    };
    const reads = Array.from({ length: 100 }, () => cache.read("k", TAGS, load, POLICY));
    gate.resolve();
    const results = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(results.every((r) => r.value === results[0]!.value)).toBe(true);
    expect(cache.stats()).toMatchObject({ loads: 1, coalesced: 99 });
  });

  it("stops waiting on a load that never settles (its request was cancelled) and loads itself", async () => {
    const { cache } = setup({ joinWaitMs: 20 }, { withStore: false });
    const never = new Promise<{ id: number }>(() => undefined);
    const leader = cache.read("k", TAGS, () => never, POLICY);
    const joiner = await cache.read("k", TAGS, async () => ({ id: 2 }), POLICY);
    expect(joiner).toMatchObject({ value: { id: 2 }, tier: "miss" });
    expect(cache.stats()).toMatchObject({ coalesced: 1, joinTimeouts: 1 });
    void leader;
  });

  it("makes another isolate wait for the lock holder's value instead of loading", async () => {
    const { cache: a, make } = setup({ lockWaitMs: 1000, lockPollMs: 10 });
    const b = make();
    const gate = deferred<void>();
    let loads = 0;
    const load = async () => {
      loads++;
      await gate.promise;
      return "winner";
    };
    const first = a.read("k", TAGS, load, POLICY);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = b.read("k", TAGS, load, POLICY);
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.resolve();
    expect((await first).tier).toBe("miss");
    expect(await second).toMatchObject({ tier: "l2", value: "winner" });
    expect(loads).toBe(1);
    expect(a.stats().lock.acquired).toBe(1);
    expect(b.stats().lock.waitedHit).toBe(1);
  });

  it("takes the lock at once when its holder lets it go without a value (its load failed), not after the wait", async () => {
    const { cache: a, make, clock } = setup({ lockWaitMs: 60_000, lockPollMs: 10 });
    const b = make();
    const gate = deferred<void>();
    const failing = a.read("k", TAGS, async () => {
      await gate.promise;
      throw new Error("db down");
    }, POLICY);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const started = clock.now();
    const second = b.read("k", TAGS, async () => "mine", POLICY);
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.resolve();
    await expect(failing).rejects.toThrow("db down");
    expect(await second).toMatchObject({ tier: "miss", value: "mine" });
    expect(b.stats().lock).toMatchObject({ takenOver: 1, waitedTimeout: 0 });
    // It waited for the holder, a few polls, not for lockWaitMs.
    expect(clock.now() - started).toBeLessThan(1_000);
  });

  it("takes over the lock of a holder that died (its lock expired) instead of waiting out lockWaitMs", async () => {
    const { cache: a, make, clock } = setup({ lockTtlMs: 200, lockWaitMs: 60_000, lockPollMs: 10 });
    const b = make();
    void a.read("k", TAGS, () => new Promise<string>(() => undefined), POLICY);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const started = clock.now();
    const result = await b.read("k", TAGS, async () => "mine", POLICY);
    expect(result).toMatchObject({ tier: "miss", value: "mine" });
    expect(b.stats().lock).toMatchObject({ takenOver: 1, waitedTimeout: 0 });
    expect(clock.now() - started).toBeGreaterThanOrEqual(200);
    expect(clock.now() - started).toBeLessThan(1_000);
  });

  it("loads anyway when the lock holder does not deliver within the wait", async () => {
    const { cache: a, make } = setup({ lockWaitMs: 50, lockPollMs: 10 });
    const b = make();
    void a.read("k", TAGS, () => new Promise<string>(() => undefined), POLICY);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await b.read("k", TAGS, async () => "mine", POLICY);
    expect(result).toMatchObject({ tier: "miss", value: "mine" });
    expect(b.stats().lock.waitedTimeout).toBe(1);
  });

  it("does not cache a failed load", async () => {
    const { cache } = setup();
    let fail = true;
    const load = counter(() => {
      if (fail) throw new Error("db down");
      return "ok";
    });
    await expect(cache.read("k", TAGS, load, POLICY)).rejects.toThrow("db down");
    fail = false;
    expect(await cache.read("k", TAGS, load, POLICY)).toMatchObject({ tier: "miss", value: "ok" });
    expect(cache.stats()).toMatchObject({ loads: 2, loadErrors: 1 });
  });

  it("remembers a failure for negativeTtlSeconds when the policy asks", async () => {
    const { cache, clock } = setup();
    const load = counter(() => {
      throw new Error("not found");
    });
    const policy = { ...POLICY, negativeTtlSeconds: 5 };
    await expect(cache.read("k", TAGS, load, policy)).rejects.toThrow("not found");
    await expect(cache.read("k", TAGS, load, policy)).rejects.toThrow("not found");
    expect(load.calls).toBe(1);
    clock.advance(5_001);
    await expect(cache.read("k", TAGS, load, policy)).rejects.toThrow("not found");
    expect(load.calls).toBe(2);
  });
});

describe("tag invalidation", () => {
  it("serves the new value right after a write in the same isolate", async () => {
    const { cache } = setup();
    let name = "ada";
    const load = counter(() => ({ name }));
    await cache.read("k", TAGS, load, POLICY);
    name = "grace";
    await cache.invalidate(TAGS);
    expect(await cache.read("k", TAGS, load, POLICY)).toMatchObject({ tier: "miss", value: { name: "grace" } });
  });

  it("leaves values with other tags alone", async () => {
    const { cache } = setup();
    await cache.read("k", ["public.api_keys"], async () => 1, POLICY);
    await cache.invalidate(TAGS);
    expect((await cache.read("k", ["public.api_keys"], async () => 2, POLICY)).tier).toBe("l1");
  });

  it("never stores a load that started before a write as current (generation check)", async () => {
    const { cache, make } = setup();
    const gate = deferred<string>();
    const early = cache.read("k", TAGS, () => gate.promise, POLICY);
    await new Promise((resolve) => setTimeout(resolve, 1));
    await cache.invalidate(TAGS);
    // A read after the write must not join the older in-flight load.
    expect(await cache.read("k", TAGS, async () => "new", POLICY)).toMatchObject({ tier: "miss", value: "new" });
    gate.resolve("old");
    // The caller whose read began before the write gets what it read; nobody after it does.
    expect((await early).value).toBe("old");
    expect(await cache.read("k", TAGS, async () => "newer", POLICY)).toMatchObject({ tier: "l1", value: "new" });
    // And the old value is not in L2 as current for other isolates either.
    expect(await make().read("k", TAGS, async () => "fresh", POLICY)).toMatchObject({ value: "new" });
  });

  it("does not take L2's value while its own write's INCR is still in flight", async () => {
    const { cache, store } = setup();
    let name = "ada";
    const load = counter(() => ({ name }));
    await cache.read("k", TAGS, load, POLICY);
    name = "grace";
    const gate = deferred<void>();
    store.incrGate = gate.promise;
    const writing = cache.invalidate(TAGS);
    expect((await cache.read("k", TAGS, load, POLICY)).value).toEqual({ name: "grace" });
    gate.resolve();
    await writing;
  });

  it("lets another isolate see a write within the tag check interval", async () => {
    const { cache: a, make, clock } = setup({ tagCheckIntervalMs: 1000 });
    const b = make();
    let name = "ada";
    const load = counter(() => ({ name }));
    await a.read("k", TAGS, load, POLICY);
    await b.read("k", TAGS, load, POLICY);
    name = "grace";
    await a.invalidate(TAGS);
    expect((await a.read("k", TAGS, load, POLICY)).value).toEqual({ name: "grace" });
    clock.advance(1000);
    expect(await b.read("k", TAGS, load, POLICY)).toMatchObject({ value: { name: "grace" } });
    expect(b.stats().tags.checks).toBeGreaterThanOrEqual(1);
  });

  it("re-checks tag versions at most once per interval on L1 hits", async () => {
    const { cache, store, clock } = setup({ tagCheckIntervalMs: 1000 });
    await cache.read("k", TAGS, async () => 1, POLICY);
    const before = store.calls;
    for (let i = 0; i < 50; i++) await cache.read("k", TAGS, async () => 1, POLICY);
    expect(store.calls).toBe(before);
    clock.advance(1000);
    await Promise.all(Array.from({ length: 10 }, () => cache.read("k", TAGS, async () => 1, POLICY)));
    expect(store.calls).toBe(before + 1);
  });
});

describe("Redis failure", () => {
  it("serves from the loader and L1 while Redis fails, opens the breaker, then recovers", async () => {
    const { cache, store, clock } = setup({ breakerFailureThreshold: 3, breakerCooldownMs: 5000 });
    store.mode = "fail";
    const load = counter(() => "v");
    for (let i = 0; i < 5; i++) expect((await cache.read(`k${i}`, TAGS, load, POLICY)).value).toBe("v");
    const open = cache.stats();
    expect(open.breaker.state).toBe("open");
    expect(open.l2.errors).toBe(3);
    const callsWhileOpen = store.calls;
    expect((await cache.read("k0", TAGS, load, POLICY)).tier).toBe("l1");
    expect((await cache.read("k9", TAGS, load, POLICY)).tier).toBe("miss");
    expect(store.calls).toBe(callsWhileOpen);

    clock.advance(5000);
    store.mode = "ok";
    expect(cache.stats().breaker.state).toBe("half-open");
    await cache.read("k10", TAGS, load, POLICY);
    expect(cache.stats().breaker).toMatchObject({ state: "closed", consecutiveFailures: 0, opens: 1 });
    expect(cache.stats().l2.sets).toBeGreaterThan(0);
  });

  it("reopens when the half-open probe fails", async () => {
    const { cache, store, clock } = setup({ breakerFailureThreshold: 1, breakerCooldownMs: 1000 });
    store.mode = "fail";
    await cache.read("a", TAGS, async () => 1, POLICY);
    clock.advance(1000);
    await cache.read("b", TAGS, async () => 1, POLICY);
    expect(cache.stats().breaker).toMatchObject({ state: "open", opens: 2 });
  });

  it("times out a hanging Redis and still answers", async () => {
    const { cache, store } = setup({ redisTimeoutMs: 20, breakerFailureThreshold: 2 });
    store.mode = "hang";
    expect(await cache.read("k", TAGS, async () => "v", POLICY)).toMatchObject({ tier: "miss", value: "v" });
    expect(cache.stats().l2).toMatchObject({ timeouts: 2, errors: 2 });
    expect(cache.stats().breaker.state).toBe("open");
  });

  it("bumps locally while Redis is down, skips L2 for those tags, and replays the bump on recovery", async () => {
    const { cache: a, make, store, clock } = setup({ breakerFailureThreshold: 1, breakerCooldownMs: 1000 });
    const b = make();
    let name = "ada";
    const load = counter(() => ({ name }));
    await a.read("k", TAGS, load, POLICY);
    await b.read("k", TAGS, load, POLICY);
    store.mode = "fail";
    name = "grace";
    await a.invalidate(TAGS);
    expect(a.stats().tags.pendingReplay).toBe(1);
    store.mode = "ok";
    clock.advance(1000);
    // Redis answers again, but L2 still holds "ada" under the version Redis has: A must not take it.
    expect((await a.read("k", TAGS, load, POLICY)).value).toEqual({ name: "grace" });
    await a.read("other", ["public.audit_logs"], async () => 1, POLICY);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(a.stats().tags.pendingReplay).toBe(0);
    clock.advance(1000);
    expect((await b.read("k", TAGS, load, POLICY)).value).toEqual({ name: "grace" });
  });
});

describe("size limits", () => {
  it("serves but does not cache values over maxValueBytes, and counts them", async () => {
    const { cache, store } = setup({ maxValueBytes: 1000 });
    const load = counter(() => "x".repeat(2000));
    expect((await cache.read("k", TAGS, load, POLICY)).value).toHaveLength(2000);
    expect((await cache.read("k", TAGS, load, POLICY)).tier).toBe("miss");
    expect(load.calls).toBe(2);
    expect(cache.stats()).toMatchObject({ oversized: 2, l1: { entries: 0 }, l2: { sets: 0 } });
    expect([...store.data.keys()].some((k) => k.includes(":v:"))).toBe(false);
  });

  it("evicts least recently used entries to stay within maxBytes", async () => {
    const { cache } = setup({ maxBytes: 1024, maxValueBytes: 1024 }, { withStore: false });
    for (let i = 0; i < 10; i++) await cache.read(`k${i}`, TAGS, async () => "y".repeat(300), POLICY);
    const { l1 } = cache.stats();
    expect(l1.bytes).toBeLessThanOrEqual(1024);
    expect(l1.evictions).toBeGreaterThan(0);
    expect(l1.entries).toBeLessThan(10);
  });

  it("evicts to stay within maxEntries", async () => {
    const { cache } = setup({ maxEntries: 3 }, { withStore: false });
    for (let i = 0; i < 5; i++) await cache.read(`k${i}`, TAGS, async () => i, POLICY);
    expect(cache.stats().l1).toMatchObject({ entries: 3, evictions: 2 });
    expect((await cache.read("k0", TAGS, async () => -1, POLICY)).tier).toBe("miss");
    expect((await cache.read("k4", TAGS, async () => -1, POLICY)).tier).toBe("l1");
  });
});
