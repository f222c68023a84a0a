/**
 * Sliding-window rate limits counted in Redis, so every isolate shares the count,
 * and answered from the isolate's memory between budget leases
 * (shared/ratelimit/lease-limiter.ts says how and what that costs in accuracy):
 * - per API key for requests with a valid key (RATE_LIMIT_KEY_*),
 * - per client address for everything else (RATE_LIMIT_IP_*; client-identity.ts
 *   says which address), and additionally per address for POST /dashboard/login
 *   (RATE_LIMIT_LOGIN_*: password-guessing protection).
 *
 * Over the limit: 429 problem+json `rate_limited` with `Retry-After`. Every checked
 * response carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 * (seconds until the window resets) and `RateLimit-Policy` (`<limit>;w=<window>`).
 *
 * A client that hit its limit is refused from memory until the window ends, so
 * hammering past the limit costs no Redis round trip.
 *
 * Counters live under `<RATE_LIMIT_PREFIX>:<database tag>:<rule>:`: key ids belong to
 * one database, so deployments (or test databases) sharing a Redis never share buckets.
 *
 * Redis down or slow: a check that needs a lease gives up after RATE_LIMIT_TIMEOUT_MS
 * or on the client's error, and the request goes through
 * (fail open: an outage of the limiter must not become an outage of the API).
 * Each such pass is counted (`rateLimitStats`, in GET /v1/ops/cache as `rateLimit`).
 */
import type { Context, MiddlewareHandler } from "hono";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import type { AppConfig, RateLimitRule } from "../../shared/config.ts";
import { LEASE_DEFAULTS, LeaseLimiter } from "../../shared/ratelimit/lease-limiter.ts";
import { RedisLeaseStore } from "../../shared/ratelimit/redis-lease-store.ts";
import type { AppEnv } from "../env.ts";
import { waitUntil } from "../wait-until.ts";
import { identify, type Identity } from "./client-identity.ts";
import { ProblemError } from "../../shared/api/problem.ts";

export interface RateLimitStats {
  /** Checks made (one request may need two: address and login). */
  checked: number;
  allowed: number;
  limited: number;
  /** Of `limited`: refused from memory (the client was over its limit in this window), without Redis. */
  limitedFromCache: number;
  /** Requests let through because Redis did not answer in time, or failed. */
  failOpen: { timeout: number; error: number };
}

type RuleName = "perKey" | "perIp" | "login";

interface Limiter {
  rule: RateLimitRule;
  leases: LeaseLimiter;
}

/** An isolate's limiters for one config (built by functions/services.ts) and their counters. */
export interface RateLimits {
  limiters: Partial<Record<RuleName, Limiter>>;
  stats: RateLimitStats;
}

/** What a passed check says about the caller's budget, for the response headers. */
export interface Budget {
  limit: number;
  remaining: number;
  /** Epoch ms when the window resets. */
  reset: number;
  windowSeconds: number;
}

function newStats(): RateLimitStats {
  return { checked: 0, allowed: 0, limited: 0, limitedFromCache: 0, failOpen: { timeout: 0, error: 0 } };
}

/**
 * The limiters of a config; null when Redis is not configured. Key ids (and the
 * bootstrap key) belong to one database, so counters carry its `deployment` tag:
 * deployments sharing a Redis count apart.
 */
export function createRateLimits(config: AppConfig, deployment: string): RateLimits | null {
  if (config.redis.url === undefined || config.redis.token === undefined) return null;
  const redis = upstashRedis(config.redis);
  const { rateLimit } = config.access;
  const limiters: RateLimits["limiters"] = {};
  for (const name of ["perKey", "perIp", "login"] as const) {
    const rule = rateLimit[name];
    if (rule.requests === 0) continue;
    const store = new RedisLeaseStore(redis, `${rateLimit.prefix}:${deployment}:${name}`);
    const leases = new LeaseLimiter(store, { limit: rule.requests, windowMs: rule.windowSeconds * 1000 }, { ...LEASE_DEFAULTS, timeoutMs: rateLimit.timeoutMs });
    limiters[name] = { rule, leases };
  }
  return { limiters, stats: newStats() };
}

/** A copy of the limiters' counters, or undefined when rate limiting has no Redis. */
export function rateLimitStats(limits: RateLimits | null): RateLimitStats | undefined {
  return limits === null ? undefined : structuredClone(limits.stats);
}

/**
 * The RateLimit-* headers (and Retry-After when refused) for a budget.
 *
 * @example
 * rateLimitHeaders({ limit: 10, remaining: 0, reset: now + 4200, windowSeconds: 60 }, now, true);
 * // { "ratelimit-limit": "10", "ratelimit-remaining": "0", "ratelimit-reset": "5", "ratelimit-policy": "10;w=60", "retry-after": "5" }
 */
export function rateLimitHeaders(budget: Budget, now: number, refused: boolean): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((budget.reset - now) / 1000));
  const headers: Record<string, string> = {
    "ratelimit-limit": String(budget.limit),
    "ratelimit-remaining": String(Math.max(0, budget.remaining)),
    "ratelimit-reset": String(resetSeconds),
    "ratelimit-policy": `${budget.limit};w=${budget.windowSeconds}`,
  };
  if (refused) headers["retry-after"] = String(Math.max(1, resetSeconds));
  return headers;
}

type Outcome = { kind: "passed"; budget: Budget | undefined } | { kind: "refused"; budget: Budget };

async function check(c: Context, set: RateLimits, limiter: Limiter, identifier: string): Promise<Outcome> {
  const { stats } = set;
  stats.checked++;
  const decision = await limiter.leases.check(identifier);
  if (decision.kind === "unavailable") {
    // A grant that arrives after the timeout is kept for the next request.
    waitUntil(c, decision.pending);
    stats.failOpen[decision.reason]++;
    return { kind: "passed", budget: undefined };
  }
  const budget: Budget = { limit: decision.limit, remaining: decision.remaining, reset: decision.reset, windowSeconds: limiter.rule.windowSeconds };
  if (decision.kind === "allowed") {
    stats.allowed++;
    return { kind: "passed", budget };
  }
  stats.limited++;
  if (decision.fromMemory) stats.limitedFromCache++;
  return { kind: "refused", budget };
}

function checksFor(c: Context, set: RateLimits, identity: Identity): { limiter: Limiter; identifier: string }[] {
  const { perKey, perIp, login } = set.limiters;
  if (identity.kind === "key") return perKey ? [{ limiter: perKey, identifier: identity.keyId }] : [];
  const checks = perIp ? [{ limiter: perIp, identifier: identity.address }] : [];
  if (login && c.req.method === "POST" && c.req.path === "/dashboard/login") checks.push({ limiter: login, identifier: identity.address });
  return checks;
}

/**
 * @example
 * app.use(rateLimit());
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const services = c.get("services");
    if (services === undefined) return next();
    const set = services.rateLimits;
    // Identify even without limits: a verified key's last use is stamped here.
    const identity = await identify(c, services);
    if (set === null) return next();
    let tightest: Budget | undefined;
    for (const { limiter, identifier } of checksFor(c, set, identity)) {
      const outcome = await check(c, set, limiter, identifier);
      if (outcome.kind === "refused") {
        const headers = rateLimitHeaders(outcome.budget, Date.now(), true);
        for (const [name, value] of Object.entries(headers)) c.header(name, value);
        const who = identity.kind === "key" ? "this API key" : "this client address";
        throw new ProblemError({
          status: 429,
          code: "rate_limited",
          title: "Too Many Requests",
          detail: `Rate limit of ${outcome.budget.limit} requests per ${outcome.budget.windowSeconds} s exceeded for ${who}; retry after ${headers["retry-after"]} s`,
        });
      }
      if (outcome.budget !== undefined && (tightest === undefined || outcome.budget.remaining < tightest.remaining)) tightest = outcome.budget;
    }
    await next();
    if (tightest === undefined) return;
    try {
      for (const [name, value] of Object.entries(rateLimitHeaders(tightest, Date.now(), false))) c.res.headers.set(name, value);
    } catch {
      // A response with immutable headers (passed through from a fetch) goes out without them.
    }
  };
}
