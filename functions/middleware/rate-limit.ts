/**
 * Sliding-window rate limits with @upstash/ratelimit, in Redis so every isolate
 * shares the count:
 * - per API key for requests with a valid key (RATE_LIMIT_KEY_*),
 * - per client address for everything else (RATE_LIMIT_IP_*; client-identity.ts
 *   says which address), and additionally per address for POST /dashboard/login
 *   (RATE_LIMIT_LOGIN_*: password-guessing protection).
 *
 * Over the limit: 429 problem+json `rate_limited` with `Retry-After`. Every checked
 * response carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 * (seconds until the window resets) and `RateLimit-Policy` (`<limit>;w=<window>`).
 *
 * The library's ephemeral cache (one Map per limiter per isolate) remembers
 * identifiers that hit their limit until their reset, so a client hammering past
 * its limit is refused without a Redis round trip.
 *
 * Counters live under `<RATE_LIMIT_PREFIX>:<database tag>:<rule>:`: key ids belong to
 * one database, so deployments (or test databases) sharing a Redis never share buckets.
 *
 * Redis down or slow: the check gives up after RATE_LIMIT_TIMEOUT_MS (the
 * library's `timeout`) or on the client's error, and the request goes through
 * (fail open: an outage of the limiter must not become an outage of the API).
 * Each such pass is counted (`rateLimitStats`, in GET /v1/ops/cache as `rateLimit`).
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { Context, MiddlewareHandler } from "hono";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import type { AppConfig, RateLimitRule } from "../../shared/config.ts";
import type { ApiEnv } from "../api-env.ts";
import { cacheKeyPrefix } from "../services.ts";
import { waitUntil } from "../wait-until.ts";
import { accessConfig } from "./access-config.ts";
import { identify, type Identity } from "./client-identity.ts";
import { withPortableScripts } from "./rate-limit-redis.ts";
import { problem } from "./problem.ts";

export interface RateLimitStats {
  /** Checks made (one request may need two: address and login). */
  checked: number;
  allowed: number;
  limited: number;
  /** Of `limited`: refused from the ephemeral cache, without Redis. */
  limitedFromCache: number;
  /** Requests let through because Redis did not answer in time, or failed. */
  failOpen: { timeout: number; error: number };
}

type RuleName = "perKey" | "perIp" | "login";

interface Limiter {
  rule: RateLimitRule;
  ratelimit: Ratelimit;
}

interface LimiterSet {
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

const sets = new WeakMap<AppConfig, LimiterSet | null>();

function newStats(): RateLimitStats {
  return { checked: 0, allowed: 0, limited: 0, limitedFromCache: 0, failOpen: { timeout: 0, error: 0 } };
}

/** The isolate's limiters for this config; null when Redis is not configured. */
function limitersFor(config: AppConfig): LimiterSet | null {
  let set = sets.get(config);
  if (set !== undefined) return set;
  if (config.redis.url === undefined || config.redis.token === undefined) {
    set = null;
  } else {
    const redis = withPortableScripts(upstashRedis(config.redis));
    const { rateLimit } = config.access;
    // Key ids (and the bootstrap key) belong to one database: deployments sharing a Redis count apart.
    const deployment = /([0-9a-z]+):$/.exec(cacheKeyPrefix(config.postgres.databaseUrl))![1];
    const limiters: LimiterSet["limiters"] = {};
    for (const name of ["perKey", "perIp", "login"] as const) {
      const rule = rateLimit[name];
      if (rule.requests === 0) continue;
      const ratelimit = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(rule.requests, `${rule.windowSeconds} s`),
        prefix: `${rateLimit.prefix}:${deployment}:${name}`,
        ephemeralCache: new Map(),
        timeout: rateLimit.timeoutMs,
        analytics: false,
        enableTelemetry: false,
      });
      limiters[name] = { rule, ratelimit };
    }
    set = { limiters, stats: newStats() };
  }
  sets.set(config, set);
  return set;
}

/** This isolate's counters for the config, or undefined when rate limiting has no Redis. */
export function rateLimitStats(config: AppConfig): RateLimitStats | undefined {
  const set = limitersFor(config);
  return set === null ? undefined : structuredClone(set.stats);
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

async function check(c: Context, set: LimiterSet, limiter: Limiter, identifier: string): Promise<Outcome> {
  const { stats } = set;
  stats.checked++;
  let result: Awaited<ReturnType<Ratelimit["limit"]>>;
  try {
    result = await limiter.ratelimit.limit(identifier);
  } catch {
    stats.failOpen.error++;
    return { kind: "passed", budget: undefined };
  }
  waitUntil(c, result.pending);
  if (result.reason === "timeout") {
    stats.failOpen.timeout++;
    return { kind: "passed", budget: undefined };
  }
  const budget: Budget = { limit: result.limit, remaining: result.remaining, reset: result.reset, windowSeconds: limiter.rule.windowSeconds };
  if (result.success) {
    stats.allowed++;
    return { kind: "passed", budget };
  }
  stats.limited++;
  if (result.reason === "cacheBlock") stats.limitedFromCache++;
  return { kind: "refused", budget };
}

function checksFor(c: Context, set: LimiterSet, identity: Identity): { limiter: Limiter; identifier: string }[] {
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
export function rateLimit(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const config = accessConfig(c.env);
    if (config === undefined) return next();
    const set = limitersFor(config);
    // Identify even without limits: a verified key's last use is stamped here.
    const identity = await identify(c, config);
    if (set === null) return next();
    let tightest: Budget | undefined;
    for (const { limiter, identifier } of checksFor(c, set, identity)) {
      const outcome = await check(c, set, limiter, identifier);
      if (outcome.kind === "refused") {
        const headers = rateLimitHeaders(outcome.budget, Date.now(), true);
        for (const [name, value] of Object.entries(headers)) c.header(name, value);
        const who = identity.kind === "key" ? "this API key" : "this client address";
        return problem(c, {
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
