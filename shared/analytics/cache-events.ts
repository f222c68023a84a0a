/**
 * Cache events as periodic counters: a cache keeps cumulative hit/miss/eviction counts
 * per tier; every so often (e.g. at the end of a request, at most once per flush
 * interval) the owner snapshots them and records the delta since the last snapshot.
 * Deltas, not totals, so rows from many isolates simply sum.
 */
import type { CacheEventRow } from "./event-rows.ts";

export interface CacheTierCounters {
  hits: number;
  misses: number;
  evictions: number;
  sets?: number;
}

/** Cumulative counters per tier name ("l1", "l2", ...), as a cache's stats() returns them. */
export type CacheStatsSnapshot = Readonly<Record<string, Readonly<CacheTierCounters>>>;

/**
 * One row per tier whose counters moved between `previous` and `current`. A counter
 * that went down (the cache was rebuilt) counts from zero.
 *
 * @example
 * cacheCounterRows({ l1: { hits: 10, misses: 2, evictions: 0 } }, { l1: { hits: 15, misses: 2, evictions: 1 } }, Date.now(), iso);
 * // [{ tier: "l1", hits: 5, misses: 0, evictions: 1, sets: 0, ... }]
 */
export function cacheCounterRows(
  previous: CacheStatsSnapshot | undefined,
  current: CacheStatsSnapshot,
  at: number,
  isolateId: string,
): CacheEventRow[] {
  const rows: CacheEventRow[] = [];
  for (const [tier, now] of Object.entries(current)) {
    const before = previous?.[tier];
    const delta = (key: keyof CacheTierCounters) => {
      const a = now[key] ?? 0;
      const b = before?.[key] ?? 0;
      return a >= b ? a - b : a;
    };
    const row = { ts: at, tier, hits: delta("hits"), misses: delta("misses"), evictions: delta("evictions"), sets: delta("sets"), isolate_id: isolateId };
    if (row.hits + row.misses + row.evictions + row.sets > 0) rows.push(row);
  }
  return rows;
}

/**
 * Remembers the last snapshot and turns each new one into delta rows.
 *
 * @example
 * const sampler = cacheCounterSampler(iso);
 * for (const row of sampler.sample(cache.stats(), Date.now())) sink.record("cache_events", row);
 */
export function cacheCounterSampler(isolateId: string): { sample(current: CacheStatsSnapshot, at: number): CacheEventRow[] } {
  let previous: CacheStatsSnapshot | undefined;
  return {
    sample(current, at) {
      const rows = cacheCounterRows(previous, current, at, isolateId);
      previous = structuredClone(current);
      return rows;
    },
  };
}
