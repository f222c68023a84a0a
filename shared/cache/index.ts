/**
 * The two-tier cache: per-isolate LRU (L1) + Upstash Redis (L2) in front of a
 * loader. See ./types.ts for the contract and ./tiered.ts for the read path.
 *
 * @example
 * const store = upstashCacheStore(upstashRedis(config.redis, { raw: true }));
 * const cache = createTieredCache({ store, options: cacheOptionsFromConfig(config.cache) }); // once per isolate
 * const { value, tier } = await cache.read(`user:${id}`, ["public.users"], () => loadUser(id), { ttlSeconds: 60 }, ctx);
 * await cache.invalidate(["public.users"]); // after a write to users
 */
import type { AppConfig } from "../config.ts";
import { DEFAULT_OPTIONS, Tiered } from "./tiered.ts";
import type { TieredCache, TieredCacheDeps, TieredCacheOptions } from "./types.ts";

export type * from "./types.ts";
export { upstashCacheStore } from "./upstash-store.ts";
export { CodecError, decode, encode } from "./codec.ts";
export { CacheTimeoutError } from "./l2.ts";

/** A cache over the given I/O. Without a store it is L1 only. */
export function createTieredCache(deps: TieredCacheDeps = {}): TieredCache {
  return new Tiered(deps);
}

/** The cache tunables of an AppConfig, as TieredCacheOptions. */
export function cacheOptionsFromConfig(cache: AppConfig["cache"], keyPrefix = DEFAULT_OPTIONS.keyPrefix): TieredCacheOptions {
  return {
    maxEntries: cache.maxEntries,
    maxBytes: cache.maxBytes,
    maxValueBytes: cache.maxValueBytes,
    swrSeconds: cache.swrSeconds,
    tagCheckIntervalMs: cache.tagCheckIntervalMs,
    tagTtlSeconds: DEFAULT_OPTIONS.tagTtlSeconds,
    lockTtlMs: cache.lockTtlMs,
    lockWaitMs: cache.lockWaitMs,
    lockPollMs: DEFAULT_OPTIONS.lockPollMs,
    joinWaitMs: DEFAULT_OPTIONS.joinWaitMs,
    redisTimeoutMs: cache.redisTimeoutMs,
    breakerFailureThreshold: cache.breakerFailureThreshold,
    breakerCooldownMs: cache.breakerCooldownMs,
    keyPrefix,
  };
}
