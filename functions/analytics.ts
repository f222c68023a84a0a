/**
 * The per-isolate metrics pipeline: one event sink per config (so per isolate in
 * production), settled from `ctx.waitUntil` at the end of each request (see
 * shared/analytics/event-sink.ts `settle` for why). Undefined when ClickHouse is not
 * configured: the API then records nothing and runs as before.
 *
 * Dropped events (queue overflow, retries exhausted) are counted in Redis per minute
 * after each flush (shared/monitoring/ingestion-drops.ts), where the ingestion_drops
 * alert reads them even while ClickHouse is down. The cache's counters are sampled
 * into cache_events at most every ANALYTICS_CACHE_SAMPLE_INTERVAL_MS.
 */
import { cacheCounterSampler, type CacheStatsSnapshot as CacheCounterSnapshot } from "../shared/analytics/cache-events.ts";
import { clickhouse } from "../shared/analytics/clickhouse-client.ts";
import { clickHouseWriter } from "../shared/analytics/clickhouse-writer.ts";
import { createEventSink, type EventSink } from "../shared/analytics/event-sink.ts";
import { queryEventObserver } from "../shared/analytics/query-events.ts";
import type { CacheStatsSnapshot } from "../shared/cache/types.ts";
import { upstashRedis } from "../shared/cache/upstash-client.ts";
import type { AppConfig } from "../shared/config.ts";
import type { QueryObserver } from "../shared/db/query-types.ts";
import { dropCounterOptions } from "../shared/monitoring/from-config.ts";
import { recordIngestionDrops, type DropCounterRedis } from "../shared/monitoring/ingestion-drops.ts";
import { logError } from "./log.ts";

const sinks = new WeakMap<AppConfig, EventSink>();
let isolate: string | undefined;

/** A random id per isolate, made on first use (workerd forbids randomness at global scope). */
export function isolateId(): string {
  isolate ??= crypto.randomUUID();
  return isolate;
}

export function analyticsFor(config: AppConfig): EventSink | undefined {
  if (config.clickhouse.url === undefined) return undefined;
  let sink = sinks.get(config);
  if (sink === undefined) {
    const inner = createEventSink({
      writer: clickHouseWriter(clickhouse(config.clickhouse), config.clickhouse.database, { asyncInsert: config.analytics.asyncInsert }),
      batch: config.batchProcessor,
      analytics: config.analytics,
      clock: { now: () => Date.now() },
      onDropped: (table, count, error) => logError("metrics events dropped", error, { table, count }),
    });
    const redis = config.redis.url === undefined ? undefined : upstashRedis(config.redis, { raw: true });
    sink = redis === undefined ? inner : withDropCounting(inner, redis, dropCounterOptions(config));
    sinks.set(config, sink);
  }
  return sink;
}

/**
 * After every flush, the drops since the last report go to Redis. The reported total
 * moves before the write, so concurrent flushes never count a drop twice; a failed
 * write gives its share back for the next flush to carry.
 */
export function withDropCounting(sink: EventSink, redis: DropCounterRedis, options: { prefix: string; ttlSeconds: number }): EventSink {
  let reported = 0;
  const report = async () => {
    const delta = sink.dropped() - reported;
    if (delta <= 0) return;
    reported += delta;
    try {
      await recordIngestionDrops(redis, options, delta, Date.now());
    } catch (error) {
      reported -= delta;
      logError("ingestion drop count not stored", error, { count: delta });
    }
  };
  const after = (run: () => Promise<void>) => async () => {
    await run();
    await report();
  };
  // A settle the running one took over has nothing to report: the running one reports after it.
  const settle = () => sink.settle()?.then(report);
  return { ...sink, flushDue: after(sink.flushDue), settle, flush: after(sink.flush), drain: after(sink.drain), close: after(sink.close) };
}

interface CacheSampling {
  sample: ReturnType<typeof cacheCounterSampler>["sample"];
  lastAt: number;
}

const cacheSampling = new WeakMap<EventSink, CacheSampling>();

/** The tiers' counters as cache_events wants them; a stale L1 hit was still served from the cache. */
function cacheCounters(stats: CacheStatsSnapshot): CacheCounterSnapshot {
  const tiers: Record<string, { hits: number; misses: number; evictions: number; sets: number }> = {
    l1: { hits: stats.l1.hits + stats.l1.staleHits, misses: stats.l1.misses, evictions: stats.l1.evictions, sets: stats.l1.sets },
  };
  if (stats.l2.enabled) tiers.l2 = { hits: stats.l2.hits, misses: stats.l2.misses, evictions: stats.l2.evictions, sets: stats.l2.sets };
  return tiers;
}

/**
 * Records the cache's counter deltas into cache_events when `intervalMs` has passed
 * since this sink's last sample (the first call always samples). `readStats` runs
 * only then. Returns the rows recorded.
 */
export function sampleCacheCounters(sink: EventSink, intervalMs: number, readStats: () => CacheStatsSnapshot, now = Date.now()): number {
  let sampling = cacheSampling.get(sink);
  if (sampling !== undefined && now - sampling.lastAt < intervalMs) return 0;
  if (sampling === undefined) {
    sampling = { sample: cacheCounterSampler(isolateId()).sample, lastAt: now };
    cacheSampling.set(sink, sampling);
  }
  sampling.lastAt = now;
  const rows = sampling.sample(cacheCounters(readStats()), now);
  for (const row of rows) sink.record("cache_events", row);
  return rows.length;
}

/**
 * The query optimizer's observer for this config (for the lead to pass to the optimizer);
 * a no-op when ClickHouse is not configured.
 */
export function queryObserverFor(config: AppConfig): QueryObserver {
  const sink = analyticsFor(config);
  return sink === undefined ? () => undefined : queryEventObserver(sink, isolateId());
}
