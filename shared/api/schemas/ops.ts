/**
 * Ops: cache and query statistics, mirroring CacheStatsSnapshot (shared/cache/types.ts)
 * and OptimizerStatsSnapshot (shared/db/query-types.ts) so the document describes them.
 */
import { z } from "zod";

const count = z.number().int().min(0);
const TIERS = ["l1", "l2", "miss", "stale", "bypass"] as const;

const TierStats = z.object({
  hits: count,
  misses: count,
  staleHits: count,
  sets: count,
  evictions: count,
  errors: count,
  hitRatio: z.number(),
});

export const CacheStats = z
  .object({
    l1: TierStats.extend({ entries: count, bytes: count, maxEntries: count, maxBytes: count }),
    l2: TierStats.extend({ timeouts: count, enabled: z.boolean() }),
    loads: count,
    loadErrors: count,
    coalesced: count,
    oversized: count,
    bypass: count,
    refreshes: count,
    lock: z.object({ acquired: count, recheckHit: count, waitedHit: count, takenOver: count, waitedTimeout: count }).meta({
      description: "Cross-isolate load lock: won and loaded; found the value in the look at L2 taken with the lock; lost and found the winner's value; lost, then took the lock its holder let go without a value (or let expire) and loaded; lost and loaded anyway after the wait",
    }),
    tags: z
      .object({
        known: count,
        checks: count,
        invalidations: count,
        pendingReplay: count,
        resetsDetected: count,
        tokenWaits: count,
        tokenBypasses: count,
      })
      .meta({
        description:
          "checks: tag version refreshes from Redis; resetsDetected: tags Redis had forgotten (restart, eviction) while this isolate knew them; " +
          "tokenWaits: reads whose x-netra-consistency token was ahead of this isolate (one refresh); tokenBypasses: still ahead after it (served from Postgres)",
      }),
    unverified: count.meta({ description: "L1 values not served because their tags could not be verified within the bound (Redis unreachable)" }),
    breaker: z.object({ state: z.enum(["closed", "open", "half-open"]), consecutiveFailures: count, opens: count }),
    rateLimit: z
      .object({
        checked: count,
        allowed: count,
        limited: count,
        limitedFromCache: count,
        failOpen: z.object({ timeout: count, error: count }).meta({ description: "Requests let through because Redis was slow (timeout) or failing (error)" }),
      })
      .optional()
      .meta({ description: "Rate limiter counters (functions/middleware/rate-limit.ts); absent without Redis" }),
  })
  .meta({ id: "CacheStats", description: "Per-isolate cache counters since the isolate started." });

const FingerprintStats = z.object({
  fingerprint: z.string(),
  statement: z.string(),
  kind: z.enum(["read", "write", "other"]),
  calls: count,
  errors: count,
  rows: count,
  totalMs: z.number(),
  meanMs: z.number(),
  p95Ms: z.number(),
  maxMs: z.number(),
  tiers: z.record(z.enum(TIERS), count),
});

const SlowQuery = z.object({
  at: z.number(),
  fingerprint: z.string(),
  statement: z.string(),
  paramShape: z.array(z.string()).readonly(),
  durationMs: z.number(),
  rows: count,
  requestId: z.string().optional(),
  plan: z.unknown().optional(),
  error: z.string().optional(),
});

export const QueryStats = z
  .object({
    fingerprints: z.array(FingerprintStats),
    slowQueries: z.array(SlowQuery),
    trackedFingerprints: count,
    slowThresholdMs: z.number(),
    refreshAfterWrite: z.object({ started: count, failed: count, remembered: count }).meta({
      description: "Refresh after write (CACHE_REFRESH_AFTER_WRITE): point reads re-read after a write to their row, those that failed, and the point reads remembered now",
    }),
  })
  .meta({ id: "QueryStats", description: "Per-isolate statement statistics: top fingerprints by total time, recent slow queries." });

export const Pong = z.object({ ok: z.literal(true) }).meta({ id: "Pong" });
