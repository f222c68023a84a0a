/**
 * Ingestion drops, counted where the alerts can see them. A metrics event the
 * pipeline gives up on (queue overflow, retries exhausted) never reaches ClickHouse,
 * and drops happen precisely when ClickHouse is in trouble, so the count lives in
 * Redis: one integer per minute (`<prefix>ingestion-drops:<unix minute>`, INCRBY,
 * with a TTL). Every isolate adds to the same keys; the `ingestion_drops` metric
 * sums the minutes of a window.
 *
 * @example
 * await recordIngestionDrops(redis, { prefix: "netra:alerts:", ttlSeconds: 172800 }, 12, Date.now());
 * const source = withIngestionDrops(clickHouseSource, ingestionDropSource(redis, { prefix: "netra:alerts:", ttlSeconds: 172800 }));
 */
import type { MetricPoint, MetricQuery, MetricSample, MetricSource } from "./metrics.ts";

/** The Redis commands used (an Upstash client, or anything shaped like it). */
export interface DropCounterRedis {
  incrby(key: string, increment: number): Promise<number>;
  expire(key: string, seconds: number): Promise<unknown>;
  mget(...keys: string[]): Promise<unknown>;
}

export interface DropCounterOptions {
  /** Key prefix (the monitoring key prefix). */
  prefix: string;
  /** How long a minute's count is kept; windows reach back at most this far. */
  ttlSeconds: number;
}

const MINUTE_MS = 60_000;
/** Keys per MGET: a long dashboard range is read in a few round trips, not one huge one. */
const MGET_CHUNK = 500;

export function ingestionDropKey(prefix: string, atMs: number): string {
  return `${prefix}ingestion-drops:${Math.floor(atMs / MINUTE_MS)}`;
}

/** Add `count` drops to the minute of `atMs`. Rejects when Redis does (the caller decides to retry). */
export async function recordIngestionDrops(redis: DropCounterRedis, options: DropCounterOptions, count: number, atMs: number): Promise<void> {
  if (!(count > 0)) return;
  const key = ingestionDropKey(options.prefix, atMs);
  // Issued together so an auto-pipelining client sends them in one round trip.
  await Promise.all([redis.incrby(key, Math.round(count)), redis.expire(key, options.ttlSeconds)]);
}

/** Counts per minute over [from, to), oldest first; minutes past the TTL are not read. */
async function minuteCounts(redis: DropCounterRedis, options: DropCounterOptions, from: Date, to: Date): Promise<{ minute: number; count: number }[]> {
  const last = Math.ceil(to.getTime() / MINUTE_MS) - 1;
  const oldest = Math.floor((to.getTime() - options.ttlSeconds * 1000) / MINUTE_MS);
  const first = Math.max(Math.floor(from.getTime() / MINUTE_MS), oldest);
  const minutes: number[] = [];
  for (let m = first; m <= last; m++) minutes.push(m);
  const out: { minute: number; count: number }[] = [];
  for (let i = 0; i < minutes.length; i += MGET_CHUNK) {
    const chunk = minutes.slice(i, i + MGET_CHUNK);
    const values = await redis.mget(...chunk.map((m) => `${options.prefix}ingestion-drops:${m}`));
    if (!Array.isArray(values)) throw new Error("MGET did not return a list");
    chunk.forEach((minute, j) => {
      const value = Number(values[j] ?? 0);
      out.push({ minute, count: Number.isFinite(value) ? value : 0 });
    });
  }
  return out;
}

/**
 * A MetricSource for `ingestion_drops` only: the drops in the window (0 when none
 * were counted; Redis answering is the evidence). `samples` is the number of minutes
 * read. Other metrics read as no data: combine with withIngestionDrops.
 */
export function ingestionDropSource(redis: DropCounterRedis, options: DropCounterOptions): MetricSource {
  return {
    async sample(query: MetricQuery): Promise<MetricSample> {
      if (query.metric !== "ingestion_drops") return { value: null, samples: 0 };
      const counts = await minuteCounts(redis, options, query.from, query.to);
      return { value: counts.reduce((sum, c) => sum + c.count, 0), samples: counts.length };
    },
    async series(query): Promise<MetricPoint[]> {
      if (query.metric !== "ingestion_drops") return [];
      const stepMs = Math.max(MINUTE_MS, query.stepSeconds * 1000);
      const buckets = new Map<number, MetricPoint>();
      for (const { minute, count } of await minuteCounts(redis, options, query.from, query.to)) {
        const t = Math.floor((minute * MINUTE_MS) / stepMs) * stepMs;
        const point = buckets.get(t) ?? { t, value: 0, samples: 0 };
        point.value = (point.value ?? 0) + count;
        point.samples += 1;
        buckets.set(t, point);
      }
      return [...buckets.values()].sort((a, b) => a.t - b.t);
    },
  };
}

/** `base` for every metric except ingestion_drops, which `drops` answers (so it works while ClickHouse is down). */
export function withIngestionDrops(base: MetricSource, drops: MetricSource): MetricSource {
  return {
    sample: (query) => (query.metric === "ingestion_drops" ? drops : base).sample(query),
    series: (query) => (query.metric === "ingestion_drops" ? drops : base).series(query),
  };
}
