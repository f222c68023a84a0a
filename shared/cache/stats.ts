/** Assembles the cache's counters into the public CacheStatsSnapshot. */
import type { L1Stats } from "./l1.ts";
import type { L2Tier } from "./l2.ts";
import type { BreakerState, CacheStatsSnapshot } from "./types.ts";

export interface CacheCounts {
  loads: number;
  loadErrors: number;
  coalesced: number;
  joinTimeouts: number;
  oversized: number;
  uncacheable: number;
  bypass: number;
  refreshes: number;
  tagChecks: number;
  invalidations: number;
  tokenWaits: number;
  tokenBypasses: number;
  unverified: number;
}

export interface StatsParts {
  l1: L1Stats;
  l2: L2Tier | undefined;
  counts: CacheCounts;
  lock: CacheStatsSnapshot["lock"];
  tags: { known: number; pendingReplay: number; resetsDetected: number };
  breaker: { state: BreakerState; consecutiveFailures: number; opens: number };
}

export function snapshot({ l1, l2, counts, lock, tags, breaker }: StatsParts): CacheStatsSnapshot {
  const l2Hits = l2?.hits ?? 0;
  const l2Lookups = l2Hits + (l2?.misses ?? 0);
  return {
    l1: {
      hits: l1.hits,
      misses: l1.misses,
      staleHits: l1.staleHits,
      sets: l1.sets,
      evictions: l1.evictions,
      errors: 0,
      hitRatio: l1.hitRatio,
      entries: l1.entries,
      bytes: l1.bytes,
      maxEntries: l1.maxEntries,
      maxBytes: l1.maxBytes,
    },
    l2: {
      hits: l2Hits,
      misses: l2?.misses ?? 0,
      staleHits: 0,
      sets: l2?.sets ?? 0,
      evictions: 0,
      errors: l2?.errors ?? 0,
      timeouts: l2?.timeouts ?? 0,
      hitRatio: l2Lookups === 0 ? 0 : l2Hits / l2Lookups,
      enabled: l2 !== undefined,
    },
    loads: counts.loads,
    loadErrors: counts.loadErrors,
    coalesced: counts.coalesced,
    joinTimeouts: counts.joinTimeouts,
    oversized: counts.oversized,
    uncacheable: counts.uncacheable,
    bypass: counts.bypass,
    refreshes: counts.refreshes,
    lock: { ...lock },
    tags: {
      known: tags.known,
      checks: counts.tagChecks,
      invalidations: counts.invalidations,
      pendingReplay: tags.pendingReplay,
      resetsDetected: tags.resetsDetected,
      tokenWaits: counts.tokenWaits,
      tokenBypasses: counts.tokenBypasses,
    },
    unverified: counts.unverified,
    breaker,
  };
}
