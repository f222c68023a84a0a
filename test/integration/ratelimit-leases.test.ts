/**
 * Budget leases against real Redis through the local Upstash REST endpoint: two
 * isolates (each its own client and limiter) hammering one client concurrently
 * never admit more than the limit together, the shared bucket holds exactly what
 * was granted, and the busy path costs a small fraction of a round trip per request.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis/cloudflare";
import { afterAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { LEASE_DEFAULTS, LeaseLimiter, type LeaseGrant, type LeaseRule, type LeaseStore } from "../../shared/ratelimit/lease-limiter.ts";
import { RedisLeaseStore } from "../../shared/ratelimit/redis-lease-store.ts";

const urls = localUrls();
const url = process.env.UPSTASH_REDIS_REST_URL ?? urls.UPSTASH_REDIS_REST_URL;
const token = process.env.UPSTASH_REDIS_REST_TOKEN ?? urls.UPSTASH_REDIS_REST_TOKEN;
const PREFIX = `test:rl:${randomUUID()}`;
const client = () => new Redis({ url, token, enableTelemetry: false });

/** Counts the round trips a store makes and what it granted. */
class CountingStore implements LeaseStore {
  trips = 0;
  granted = 0;
  constructor(private readonly inner: LeaseStore) {}
  async lease(id: string, rule: LeaseRule, want: number, now: number): Promise<LeaseGrant> {
    this.trips++;
    const grant = await this.inner.lease(id, rule, want, now);
    this.granted += grant.granted;
    return grant;
  }
}

afterAll(async () => {
  const redis = client();
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("rate-limit leases in Redis", () => {
  it("keeps two concurrent isolates within the limit, with the bucket equal to the grants", async () => {
    const rule = { limit: 600, windowMs: 3_600_000 };
    const stores = [new CountingStore(new RedisLeaseStore(client(), PREFIX)), new CountingStore(new RedisLeaseStore(client(), PREFIX))];
    const isolates = stores.map((store) => new LeaseLimiter(store, rule, { ...LEASE_DEFAULTS, timeoutMs: 5_000 }));
    let allowed = 0;
    let refused = 0;
    // 5 concurrent callers per isolate, 1,000 requests in all.
    await Promise.all(
      Array.from({ length: 10 }, async (_, caller) => {
        for (let i = 0; i < 100; i++) {
          const decision = await isolates[caller % 2]!.check("client-1");
          if (decision.kind === "allowed") allowed++;
          else if (decision.kind === "refused") refused++;
          else throw new Error(`store ${decision.reason}`);
        }
      }),
    );
    expect(allowed).toBeLessThanOrEqual(600);
    expect(allowed).toBeGreaterThanOrEqual(600 - 2 * 30); // one unspent lease (5%) per isolate at most
    expect(allowed + refused).toBe(1_000);
    const window = Math.floor(Date.now() / rule.windowMs);
    const bucket = Number(await client().get(`${PREFIX}:client-1:${window}`));
    expect(bucket).toBe(stores[0]!.granted + stores[1]!.granted);
    expect(bucket).toBeLessThanOrEqual(600);
  });

  it("costs far fewer round trips than requests for a busy client", async () => {
    const store = new CountingStore(new RedisLeaseStore(client(), PREFIX));
    const limiter = new LeaseLimiter(store, { limit: 1_000_000, windowMs: 60_000 }, { ...LEASE_DEFAULTS, timeoutMs: 5_000 });
    for (let i = 0; i < 2_000; i++) expect((await limiter.check("busy")).kind).toBe("allowed");
    expect(store.trips).toBeLessThan(40);
  });
});
