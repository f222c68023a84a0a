import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { Env } from "../../functions/env.ts";
import { ADMIN_KEY, apiEnv, call, createKey } from "./api-helpers.ts";

/** Each test counts in its own Redis namespace; an hour-long window keeps the sliding weight out of the counts. */
function limited(overrides: Partial<Env>): Env {
  const prefix = `netra:test:rl:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return apiEnv({
    RATE_LIMIT_PREFIX: prefix,
    RATE_LIMIT_KEY_WINDOW_SECONDS: "3600",
    RATE_LIMIT_IP_WINDOW_SECONDS: "3600",
    RATE_LIMIT_LOGIN_WINDOW_SECONDS: "3600",
    ...overrides,
  });
}

function randomIp(): string {
  return `198.18.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
}

interface RateLimitCounters {
  checked: number;
  allowed: number;
  limited: number;
  limitedFromCache: number;
  failOpen: { timeout: number; error: number };
}

async function counters(env: Env): Promise<RateLimitCounters> {
  const res = await call("/v1/ops/cache", { env, key: ADMIN_KEY });
  expect(res.status).toBe(200);
  return res.json.rateLimit as RateLimitCounters;
}

describe("rate limits", () => {
  it("answers 429 rate_limited with Retry-After and RateLimit headers once a key is over its limit", async () => {
    const env = limited({ RATE_LIMIT_KEY_REQUESTS: "3" });
    const key = await createKey(["read"]);
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/ping", { env, key });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBe("3");
      expect(res.headers.get("ratelimit-policy")).toBe("3;w=3600");
      remaining.push(res.headers.get("ratelimit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);

    const refused = await call("/v1/ping", { env, key });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.json).toMatchObject({ status: 429, code: "rate_limited", type: "urn:netra-edge:problem:rate_limited" });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect(refused.headers.get("ratelimit-reset")).toBe(refused.headers.get("retry-after"));

    // Refused again straight from the isolate's ephemeral cache; another key is unaffected.
    expect((await call("/v1/ping", { env, key })).status).toBe(429);
    const other = await createKey(["read"]);
    expect((await call("/v1/ping", { env, key: other })).status).toBe(200);
    const stats = await counters(env);
    expect(stats.limited).toBe(2);
    expect(stats.limitedFromCache).toBe(1);
    expect(stats.failOpen).toEqual({ timeout: 0, error: 0 });
  });

  it("limits unauthenticated requests per client address, IPv6 per /64", async () => {
    const env = limited({ RATE_LIMIT_IP_REQUESTS: "2" });
    const ip = randomIp();
    const from = (address: string) => call("/ping", { env, key: null, headers: { "cf-connecting-ip": address } });
    expect((await from(ip)).status).toBe(200);
    expect((await from(ip)).status).toBe(200);
    const refused = await from(ip);
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe("rate_limited");
    expect((await from(randomIp())).status).toBe(200);

    const block = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
    expect((await from(`${block}::1`)).status).toBe(200);
    expect((await from(`${block}:ffff::2`)).status).toBe(200);
    expect((await from(`${block}::3`)).status).toBe(429);
  });

  it("counts requests with a wrong key against the client address, so guessing keys is limited", async () => {
    const env = limited({ RATE_LIMIT_IP_REQUESTS: "2" });
    const headers = { "cf-connecting-ip": randomIp() };
    const wrong = `nk_0000000000000000_${"A".repeat(43)}`;
    expect((await call("/v1/ping", { env, key: wrong, headers })).status).toBe(401);
    expect((await call("/v1/ping", { env, key: "nope", headers })).status).toBe(401);
    expect((await call("/v1/ping", { env, key: wrong, headers })).status).toBe(429);
  });

  it("limits dashboard sign-in attempts per address on top of the general limit", async () => {
    const env = limited({ RATE_LIMIT_LOGIN_REQUESTS: "2" });
    const headers = { "cf-connecting-ip": randomIp(), "content-type": "application/x-www-form-urlencoded" };
    const login = () => call("/dashboard/login", { env, method: "POST", key: null, headers, body: "key=not-a-key" });
    expect((await login()).status).not.toBe(429);
    expect((await login()).status).not.toBe(429);
    const refused = await login();
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe("rate_limited");
    expect((await call("/ping", { env, key: null, headers })).status).toBe(200);
  });

  it("fails open and counts it when Redis is unreachable", async () => {
    const env = limited({ RATE_LIMIT_KEY_REQUESTS: "1", UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8879", UPSTASH_RETRIES: "0" });
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/ping", { env, key: ADMIN_KEY });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBeNull();
    }
    const stats = await counters(env);
    expect(stats.allowed + stats.limited).toBe(0);
    expect(stats.failOpen.error + stats.failOpen.timeout).toBe(stats.checked);
    expect(stats.checked).toBeGreaterThanOrEqual(3);
  });

  it("fails open after RATE_LIMIT_TIMEOUT_MS when Redis is slow, and counts a timeout", async () => {
    const env = limited({ RATE_LIMIT_KEY_REQUESTS: "1", RATE_LIMIT_TIMEOUT_MS: "100", UPSTASH_REDIS_REST_URL: inject("slowUpstashUrl") });
    for (let i = 0; i < 2; i++) expect((await call("/v1/ping", { env, key: ADMIN_KEY })).status).toBe(200);
    const stats = await counters(env);
    expect(stats.failOpen.timeout).toBeGreaterThanOrEqual(2);
    expect(stats.limited).toBe(0);
  });
});
