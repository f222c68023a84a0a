/**
 * Records one request_events row per request: route pattern (never the raw path),
 * method, status, duration, cache tier (`x-cache`), database time (`db;dur=` in
 * `server-timing`), response bytes (Content-Length when set), isolate, colo and
 * country (request.cf, when present).
 *
 * Flushing: a Worker gets no callback once it is idle, so the request that recorded an
 * event keeps itself open with `ctx.waitUntil(sink.settle())` until the event was sent
 * (at once, or when its batch is due), bounded, unless a settle already running takes the
 * event over (then there is nothing to wait for). No event waits for a later request.
 * Recording never blocks or fails the request: ClickHouse being down only grows
 * (bounded) queues and drop counters.
 *
 * The same end-of-request hook samples the isolate's cache counters into cache_events,
 * at most every ANALYTICS_CACHE_SAMPLE_INTERVAL_MS (functions/analytics.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { EventSink } from "../../shared/analytics/event-sink.ts";
import { cacheTier, responseBytes, serverTimingDbMs } from "../../shared/analytics/request-events.ts";
import type { CacheStatsSnapshot } from "../../shared/cache/types.ts";
import { analyticsFor, isolateId, sampleCacheCounters } from "../analytics.ts";
import { configFor } from "../config.ts";
import { requireServices } from "./services.ts";
import type { AppEnv } from "../env.ts";

/** Requests no route matched share one label instead of one per scanned path. */
export const UNMATCHED_ROUTE = "(unmatched)";

export interface MetricsOptions {
  /** Where events go; default: the isolate's sink for the env's config (none without ClickHouse). */
  sinkFor?: (c: Context<AppEnv>) => EventSink | undefined;
  /**
   * The cache counters to sample and how often; default: the isolate's tiered cache and
   * the config's interval when the default sink is used, none otherwise.
   */
  cacheStatsFor?: (c: Context<AppEnv>) => { intervalMs: number; read: () => CacheStatsSnapshot } | undefined;
}

function defaultCacheStats(c: Context<AppEnv>): { intervalMs: number; read: () => CacheStatsSnapshot } | undefined {
  try {
    const config = configFor(c.env);
    return { intervalMs: config.analytics.cacheSampleIntervalMs, read: () => requireServices(c).cache.stats() };
  } catch {
    return undefined;
  }
}

function defaultSink(c: Context<AppEnv>): EventSink | undefined {
  try {
    return analyticsFor(configFor(c.env));
  } catch {
    // An invalid config is reported by the route that needs it; metrics just stay off.
    return undefined;
  }
}

/** The pattern of the route that answered (`/v1/users/:id`); middleware-only matches are unmatched. */
function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  const route = routes[c.req.routeIndex];
  if (route === undefined) return UNMATCHED_ROUTE;
  if (c.res.status === 404 && route.method === "ALL" && route.path.endsWith("*")) return UNMATCHED_ROUTE;
  return route.path;
}

interface CfProperties {
  colo?: unknown;
  country?: unknown;
}

function settleInBackground(c: Context, sink: EventSink): void {
  const flushing = sink.settle();
  if (flushing === undefined) return; // a settle already running carries this request's events
  try {
    c.executionCtx.waitUntil(flushing);
  } catch {
    // No execution context (app.request in Node): the promise runs on its own and never rejects.
  }
}

/**
 * @example
 * app.use(requestId());
 * app.use(metrics());
 */
export function metrics(options: MetricsOptions = {}): MiddlewareHandler<AppEnv> {
  const sinkFor = options.sinkFor ?? defaultSink;
  const cacheStatsFor = options.cacheStatsFor ?? (options.sinkFor === undefined ? defaultCacheStats : () => undefined);
  return async (c, next) => {
    const started = performance.now();
    await next();
    const sink = sinkFor(c);
    if (sink === undefined) return;
    const headers = c.res.headers;
    const cf = (c.req.raw as Request & { cf?: CfProperties }).cf;
    sink.record("request_events", {
      ts: Date.now(),
      request_id: c.get("requestId") ?? "",
      route: routePattern(c),
      method: c.req.method,
      status: c.res.status,
      duration_ms: performance.now() - started,
      cache_tier: cacheTier(headers.get("x-cache")),
      db_ms: serverTimingDbMs(headers.get("server-timing")),
      response_bytes: responseBytes(headers.get("content-length")),
      isolate_id: isolateId(),
      colo: typeof cf?.colo === "string" ? cf.colo : "",
      country: typeof cf?.country === "string" ? cf.country : "",
    });
    const cacheStats = cacheStatsFor(c);
    try {
      if (cacheStats !== undefined) sampleCacheCounters(sink, cacheStats.intervalMs, cacheStats.read);
    } catch {
      // Metrics never fail a request; a cache that cannot be built is reported by the routes that use it.
    }
    settleInBackground(c, sink);
  };
}
