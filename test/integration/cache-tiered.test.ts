/**
 * The tiered cache against the real local Redis through the local Upstash REST
 * endpoint and the unmodified @upstash/redis client. Two cache instances stand
 * for two isolates; a proxy we control plays the slow/hung Redis.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { createTieredCache, upstashCacheStore } from "../../shared/cache/index.ts";
import type { TieredCacheOptions } from "../../shared/cache/types.ts";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import { deadPort, startProxy, type ControlledProxy } from "./cache-proxy.ts";

const URL_ = process.env.UPSTASH_REDIS_REST_URL ?? localUrls().UPSTASH_REDIS_REST_URL;
const TOKEN = process.env.UPSTASH_REDIS_REST_TOKEN ?? localUrls().UPSTASH_REDIS_REST_TOKEN;
const PREFIX = `test:cache:${randomUUID()}:`;
const TAGS = ["public.users"];
const POLICY = { ttlSeconds: 30, swrSeconds: 0 };

let proxy: ControlledProxy;

/** A raw client for `url`, as the Worker builds it (settings -> upstashRedis). */
function rawClient(url: string, requestTimeoutMs = 2000) {
  return upstashRedis({ url, token: TOKEN, requestTimeoutMs, retries: 0 }, { raw: true });
}

function cacheAt(url: string, options: Partial<TieredCacheOptions> = {}) {
  return createTieredCache({
    store: upstashCacheStore(rawClient(url)),
    options: { keyPrefix: PREFIX, redisTimeoutMs: 1000, tagCheckIntervalMs: 200, ...options },
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  const target = new URL(URL_);
  proxy = await startProxy({ host: target.hostname, port: Number(target.port) });
});

afterAll(async () => {
  await proxy?.close();
  const redis = new Redis({ url: URL_, token: TOKEN });
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("tiered cache over the local Upstash endpoint", () => {
  it("fills and hits L2 across two isolates, round-tripping Postgres types", async () => {
    const a = cacheAt(URL_);
    const b = cacheAt(URL_);
    const row = { id: 1n, at: new Date("2026-01-02T03:04:05.678Z"), bytes: new Uint8Array([0, 255]), meta: { plan: "pro" }, nil: null };
    let loads = 0;
    const load = async () => {
      loads++;
      return [row];
    };
    expect((await a.read("l2-fill", TAGS, load, POLICY)).tier).toBe("miss");
    const fromL2 = await b.read("l2-fill", TAGS, load, POLICY);
    expect(fromL2.tier).toBe("l2");
    expect(fromL2.value).toEqual([row]);
    expect((await b.read("l2-fill", TAGS, load, POLICY)).tier).toBe("l1");
    expect(loads).toBe(1);
  });

  it("stops serving the old value in another isolate within the tag check interval after a write", async () => {
    const a = cacheAt(URL_);
    const b = cacheAt(URL_);
    let name = "ada";
    const load = async () => ({ name });
    await a.read("inval", TAGS, load, POLICY);
    expect((await b.read("inval", TAGS, load, POLICY)).value).toEqual({ name: "ada" });
    name = "grace";
    await a.invalidate(TAGS);
    expect((await a.read("inval", TAGS, load, POLICY)).value).toEqual({ name: "grace" });
    await sleep(250);
    expect((await b.read("inval", TAGS, load, POLICY)).value).toEqual({ name: "grace" });
  });

  it("lets one load through for many concurrent misses across two isolates", async () => {
    const a = cacheAt(URL_);
    const b = cacheAt(URL_);
    let loads = 0;
    const load = async () => {
      loads++;
      await sleep(100);
      return { hot: true };
    };
    const reads = [a, b].flatMap((cache) => Array.from({ length: 50 }, () => cache.read("stampede", TAGS, load, POLICY)));
    const results = await Promise.all(reads);
    expect(results.every((r) => (r.value as { hot: boolean }).hot)).toBe(true);
    expect(loads).toBe(1);
    const lock = [a.stats().lock, b.stats().lock];
    expect(lock[0]!.acquired + lock[1]!.acquired).toBe(1);
    expect(lock[0]!.waitedHit + lock[1]!.waitedHit).toBe(1);
  });

  it("answers from the loader and L1 (within the bound) when Redis is down, counting errors and opening the breaker", async () => {
    // L1 values whose tags cannot be verified are served only while younger than the bound.
    const cache = cacheAt(`http://127.0.0.1:${await deadPort()}`, { breakerFailureThreshold: 3, tagCheckIntervalMs: 5000 });
    let loads = 0;
    const load = async () => {
      loads++;
      return "from-db";
    };
    for (let i = 0; i < 4; i++) expect((await cache.read(`down-${i}`, TAGS, load, POLICY)).value).toBe("from-db");
    expect(await cache.read("down-0", TAGS, load, POLICY)).toMatchObject({ tier: "l1", value: "from-db" });
    const stats = cache.stats();
    expect(stats.l2.errors).toBeGreaterThanOrEqual(3);
    expect(stats.breaker).toMatchObject({ state: "open", opens: 1 });
    expect(loads).toBe(4);
  });

  it("times out a hung Redis, serves L1 and the loader, then recovers when it heals", async () => {
    const cooldown = 300;
    const cache = cacheAt(proxy.url, { redisTimeoutMs: 100, breakerFailureThreshold: 2, breakerCooldownMs: cooldown, tagCheckIntervalMs: 5000 });
    const load = async () => "v";
    await cache.read("slow-cached", TAGS, load, POLICY);
    proxy.set("blackhole");
    expect(await cache.read("slow-cached", TAGS, load, POLICY)).toMatchObject({ tier: "l1", value: "v" });
    expect(await cache.read("slow-new", TAGS, load, POLICY)).toMatchObject({ tier: "miss", value: "v" });
    const broken = cache.stats();
    expect(broken.l2.timeouts).toBeGreaterThanOrEqual(2);
    expect(broken.breaker.state).toBe("open");

    proxy.set("pass");
    await sleep(cooldown + 50);
    await cache.read("slow-after", TAGS, load, POLICY);
    const healed = cache.stats();
    expect(healed.breaker.state).toBe("closed");
    expect(healed.l2.sets).toBeGreaterThan(broken.l2.sets);
  });

  it("treats a merely slow Redis (delay under the bound) as healthy", async () => {
    proxy.set("delay");
    proxy.delayMs = 20;
    try {
      const a = cacheAt(proxy.url, { redisTimeoutMs: 1000 });
      const b = cacheAt(proxy.url, { redisTimeoutMs: 1000 });
      await a.read("delayed", TAGS, async () => "v", POLICY);
      expect((await b.read("delayed", TAGS, async () => "other", POLICY)).tier).toBe("l2");
      expect(b.stats().l2.errors).toBe(0);
    } finally {
      proxy.set("pass");
    }
  });

  it("stores values the raw client returns unparsed (a JSON-looking string stays a string)", async () => {
    const a = cacheAt(URL_);
    const b = cacheAt(URL_);
    await a.read("json-string", TAGS, async () => '{"not":"an object"}', POLICY);
    const read = await b.read("json-string", TAGS, async () => "x", POLICY);
    expect(read).toMatchObject({ tier: "l2", value: '{"not":"an object"}' });
  });
});
