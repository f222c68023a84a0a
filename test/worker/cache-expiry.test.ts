/**
 * Inside workerd: L1 entries really expire. lru-cache's default ttlResolution
 * caches its clock until a timer fires, and workerd does not run that timer
 * after a request ends; L1 uses ttlResolution 0 so every lookup reads the clock.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createTieredCache, upstashCacheStore } from "../../shared/cache/index.ts";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const POLICY = { ttlSeconds: 1, swrSeconds: 0 };

describe("L1 expiry inside workerd", () => {
  it("does not serve an entry with a 1 s TTL after 1.3 s of real time", async () => {
    const cache = createTieredCache();
    let loads = 0;
    const load = async () => ++loads;
    expect((await cache.read("k", ["public.users"], load, POLICY)).tier).toBe("miss");
    expect((await cache.read("k", ["public.users"], load, POLICY)).tier).toBe("l1");
    await sleep(1300);
    const later = await cache.read("k", ["public.users"], load, POLICY);
    expect(later).toMatchObject({ tier: "miss", value: 2 });
    expect(cache.stats().l1.hits).toBe(1);
  });

  it("expires through both tiers with the real Upstash store", async () => {
    const redis = upstashRedis(
      { url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, requestTimeoutMs: 2000, retries: 0 },
      { raw: true },
    );
    const keyPrefix = `test:cache-worker:${crypto.randomUUID()}:`;
    const a = createTieredCache({ store: upstashCacheStore(redis), options: { keyPrefix, redisTimeoutMs: 2000 } });
    const b = createTieredCache({ store: upstashCacheStore(redis), options: { keyPrefix, redisTimeoutMs: 2000 } });
    let loads = 0;
    const load = async () => ({ n: ++loads, at: new Date(0) });
    try {
      expect((await a.read("k", ["public.users"], load, POLICY)).tier).toBe("miss");
      expect(await b.read("k", ["public.users"], load, POLICY)).toMatchObject({ tier: "l2", value: { n: 1, at: new Date(0) } });
      await sleep(1300);
      expect(await a.read("k", ["public.users"], load, POLICY)).toMatchObject({ tier: "miss", value: { n: 2 } });
      expect(a.stats().l2.errors + b.stats().l2.errors).toBe(0);
    } finally {
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });
});
