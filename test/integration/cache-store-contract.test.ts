/**
 * One contract for every CacheStore: the in-memory FakeStore the cache's unit tests
 * rely on and the Upstash store the Worker runs on (real Redis behind the local
 * Upstash REST endpoint) must answer each case alike. A unit test that passes on
 * the fake then says something about production.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import { upstashCacheStore } from "../../shared/cache/upstash-store.ts";
import type { CacheStore } from "../../shared/cache/types.ts";
import { FakeClock, FakeStore } from "../unit/cache-fakes.ts";

const urls = localUrls();
const redis = upstashRedis(
  { url: process.env.UPSTASH_REDIS_REST_URL ?? urls.UPSTASH_REDIS_REST_URL, token: process.env.UPSTASH_REDIS_REST_TOKEN ?? urls.UPSTASH_REDIS_REST_TOKEN, requestTimeoutMs: 5_000, retries: 0 },
  { raw: true },
);
const RUN = `test:contract:${randomUUID()}:`;

interface Subject {
  store: CacheStore;
  /** Lets `ms` pass on the store's clock. */
  elapse(ms: number): Promise<void>;
  /** The store's clock, ms since the epoch. */
  now(): number;
}

const subjects: [string, () => Subject][] = [
  [
    "FakeStore",
    () => {
      const clock = new FakeClock(Date.now());
      return { store: new FakeStore(clock), elapse: async (ms) => clock.advance(ms), now: clock.now };
    },
  ],
  ["upstashCacheStore (real Redis)", () => ({ store: upstashCacheStore(redis), elapse: (ms) => sleep(ms), now: Date.now })],
];

let n = 0;
const key = (name: string) => `${RUN}${name}:${++n}`;

afterAll(async () => {
  const keys = await redis.keys(`${RUN}*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe.each(subjects)("CacheStore contract: %s", (_, make) => {
  it("reads a missing key and missing tags as null", async () => {
    const { store } = make();
    expect(await store.lookup(key("v"), [])).toEqual({ value: null, versions: [] });
    expect(await store.lookup(key("v"), [key("t"), key("t")])).toEqual({ value: null, versions: [null, null] });
    expect(await store.versions([key("t")])).toEqual([null]);
  });

  it("returns stored strings exactly as set, whatever they look like", async () => {
    const { store } = make();
    for (const value of ["123", "null", '{"a":1}', "true", "  spaced ", "üñí😀\u0000x", "x".repeat(100_000)]) {
      const k = key("raw");
      await store.set(k, value, 60_000);
      expect((await store.lookup(k, [])).value).toBe(value);
    }
  });

  it("forgets a value after its TTL, and on del", async () => {
    const { store, elapse } = make();
    const short = key("ttl");
    await store.set(short, "v", 150);
    expect((await store.lookup(short, [])).value).toBe("v");
    await elapse(400);
    expect((await store.lookup(short, [])).value).toBeNull();
    const gone = key("del");
    await store.set(gone, "v", 60_000);
    await store.del(gone);
    expect((await store.lookup(gone, [])).value).toBeNull();
  });

  it("grants a load lock to one caller until it expires or the value is stored with it", async () => {
    const { store, elapse } = make();
    const [lock, k, t] = [key("lock"), key("v"), key("t")];
    const [version] = await store.bump([t], 60);
    const first = await store.lockAndLookup(lock, "a", 200, k, [t]);
    expect(first).toEqual({ locked: true, value: null, versions: [version] });
    expect((await store.lockAndLookup(lock, "b", 200, k, [t])).locked).toBe(false);
    await elapse(450);
    expect((await store.lockAndLookup(lock, "c", 60_000, k, [t])).locked).toBe(true);
    // Storing with the lock as unlockKey releases it in the same step.
    await store.set(k, "loaded", 60_000, lock);
    expect(await store.lockAndLookup(lock, "d", 60_000, k, [])).toEqual({ locked: true, value: "loaded", versions: [] });
  });

  it("starts a missing tag at the server clock in microseconds and bumps strictly upwards, keys in order", async () => {
    const { store, now } = make();
    const [a, b] = [key("t"), key("t")];
    const before = now() * 1000;
    const [a1, b1] = await store.bump([a, b], 60);
    expect(a1).toBeGreaterThanOrEqual(before - 5_000_000);
    expect(a1).toBeLessThanOrEqual(now() * 1000 + 5_000_000);
    const [b2, a2] = await store.bump([b, a], 60);
    expect(a2).toBeGreaterThan(a1!);
    expect(b2).toBeGreaterThan(b1!);
    expect(await store.versions([a, b])).toEqual([a2, b2]);
  });

  it("seeds only missing tags, and a tag Redis forgot restarts above every version handed out", async () => {
    const { store, elapse } = make();
    const [known, fresh] = [key("t"), key("t")];
    const [bumped] = await store.bump([known], 60);
    const [kept, seeded] = await store.seed([known, fresh], 60);
    expect(kept).toBe(bumped);
    expect(seeded).toBeGreaterThan(0);
    expect(await store.versions([fresh])).toEqual([seeded]);
    // Lost (expired here): the next bump is above the version seen before the loss.
    const short = key("t");
    const [v1] = await store.bump([short], 1);
    const [v2] = await store.bump([short], 1);
    await elapse(1_300);
    expect(await store.versions([short])).toEqual([null]);
    const [v3] = await store.bump([short], 60);
    expect(v3).toBeGreaterThan(Math.max(v1!, v2!));
  });
});
