import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { servicesFor } from "../../functions/services.ts";
import type { Env } from "../../functions/env.ts";
import { apiEnv, call, createUser } from "./api-helpers.ts";

/**
 * A distinct (but equivalent) env gets its own per-isolate services: its own L1,
 * single-flight and counters over the same database and Redis namespace, which is
 * what a second isolate has.
 */
function isolate(name: string, overrides: Partial<Env> = {}): Env {
  const salt = String(1000 + [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 50_000, 7));
  return apiEnv({ HEALTH_CHECK_TIMEOUT_MS: salt, ...overrides });
}

describe("cache behaviour through the API", () => {
  it("answers 100 concurrent identical misses with one database load", async () => {
    const user = await createUser();
    const env = isolate("stampede");
    const before = servicesFor(env).cache.stats();
    const responses = await Promise.all(Array.from({ length: 100 }, () => call(`/v1/users/${user.id}`, { env })));
    expect(responses.every((r) => r.status === 200 && r.json.id === user.id)).toBe(true);
    const after = servicesFor(env).cache.stats();
    expect(after.loads - before.loads).toBe(1);
    const queries = await call("/v1/ops/queries", { env });
    const byId = (queries.json.fingerprints as { statement: string; calls: number; tiers: Record<string, number> }[]).find((f) =>
      /from users where id = \?$/i.test(f.statement),
    );
    expect(byId?.calls).toBe(100);
  });

  it("serves a value another isolate cached from L2, and its write within the tag-check bound", async () => {
    const user = await createUser({ planTier: "free" });
    const a = isolate("A");
    const b = isolate("B");
    expect((await call(`/v1/users/${user.id}`, { env: a })).headers.get("x-cache")).toBe("miss");
    const fromB = await call(`/v1/users/${user.id}`, { env: b });
    expect(fromB.headers.get("x-cache")).toBe("l2");
    expect((await call(`/v1/users/${user.id}`, { env: b })).headers.get("x-cache")).toBe("l1");

    expect((await call(`/v1/users/${user.id}`, { env: a, method: "PATCH", body: { planTier: "team" } })).status).toBe(200);
    const bound = servicesFor(b).config.cache.tagCheckIntervalMs;
    const deadline = Date.now() + bound + 2_000;
    let planTier: unknown;
    do {
      planTier = (await call(`/v1/users/${user.id}`, { env: b })).json.planTier;
      if (planTier === "team") break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(planTier).toBe("team");
  });

  it("runs a volatile read past the cache (tier bypass)", async () => {
    const optimizer = servicesFor(apiEnv()).optimizer;
    const first = await optimizer.read<{ t: Date }>("SELECT now() AS t, random() AS r", []);
    const second = await optimizer.read<{ t: Date }>("SELECT now() AS t, random() AS r", []);
    expect(first.tier).toBe("bypass");
    expect(second.tier).toBe("bypass");
    expect(second.rows[0]!.t).not.toEqual(first.rows[0]!.t);
  });
});

describe("dependency failures: Redis degrades to L1 and the database, Postgres answers a clean 503", () => {
  it("answers 200 from the database and L1 when Redis is down", async () => {
    const env = isolate("redis-down", { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_RETRIES: "0" });
    const user = await createUser({}, { env });
    const first = await call(`/v1/users/${user.id}`, { env });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("miss");
    const second = await call(`/v1/users/${user.id}`, { env });
    expect(second.status).toBe(200);
    expect(second.headers.get("x-cache")).toBe("l1");
    const patched = await call(`/v1/users/${user.id}`, { env, method: "PATCH", body: { role: "admin" } });
    expect(patched.status).toBe(200);
    expect((await call(`/v1/users/${user.id}`, { env })).json.role).toBe("admin");
    const stats = await call("/v1/ops/cache", { env });
    expect((stats.json.l2 as { errors: number }).errors).toBeGreaterThan(0);
  });

  it("answers 200 when Redis is slow (every chunk delayed past the cache's Redis timeout)", async () => {
    const env = isolate("redis-slow", { UPSTASH_REDIS_REST_URL: inject("slowUpstashUrl"), CACHE_REDIS_TIMEOUT_MS: "150", UPSTASH_RETRIES: "0" });
    const user = await createUser({ displayName: "slow" });
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await call(`/v1/users/${user.id}`, { env }));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(responses.every((r) => r.json.displayName === "slow")).toBe(true);
    const stats = await call("/v1/ops/cache", { env });
    expect((stats.json.l2 as { timeouts: number }).timeouts).toBeGreaterThan(0);
  });

  it("answers 503 db_unavailable problem+json when Postgres is unreachable", async () => {
    const dead = Object.assign(new URL(inject("apiDatabaseUrl")), { port: "1" }).toString();
    const env = isolate("pg-down", { DATABASE_URL: dead });
    const res = await call("/v1/users/1", { env });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json).toMatchObject({ code: "db_unavailable", status: 503 });
  });
});
