/**
 * The CacheStore over @upstash/redis: each method is one REST round trip
 * (pipelines where several commands go together). Use a client built with
 * `upstashRedis(settings, { raw: true })`: the cache stores its own encoding and
 * must get the stored strings back unparsed.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { BUMP_SCRIPT, SEED_SCRIPT } from "./tag-scripts.ts";
import type { CacheStore } from "./types.ts";

/** A tag version, or null when Redis does not hold the key (never set, expired, evicted, or lost). */
const toVersion = (reply: unknown): number | null => {
  if (reply === null || reply === undefined) return null;
  const n = typeof reply === "number" ? reply : Number(reply);
  return Number.isFinite(n) ? n : null;
};

const toNumber = (reply: unknown): number => toVersion(reply) ?? 0;

const toText = (reply: unknown): string | null => (reply === null || reply === undefined ? null : String(reply));

/** @example const store = upstashCacheStore(upstashRedis(config.redis, { raw: true })); */
export function upstashCacheStore(redis: Redis): CacheStore {
  return {
    async lookup(key, tagKeys) {
      if (tagKeys.length === 0) return { value: toText(await redis.get(key)), versions: [] };
      const [value, versions] = await redis.pipeline().get(key).mget(...tagKeys).exec<[unknown, unknown[]]>();
      return { value: toText(value), versions: versions.map(toVersion) };
    },
    async versions(tagKeys) {
      if (tagKeys.length === 0) return [];
      const replies = await redis.mget<unknown[]>(...tagKeys);
      return replies.map(toVersion);
    },
    async lockAndLookup(lockKey, token, ttlMs, key, tagKeys) {
      const pipeline = redis.pipeline().set(lockKey, token, { nx: true, px: Math.max(1, Math.ceil(ttlMs)) }).get(key);
      if (tagKeys.length > 0) pipeline.mget(...tagKeys);
      const [locked, value, versions] = await pipeline.exec<[unknown, unknown, unknown[] | undefined]>();
      return { locked: locked !== null, value: toText(value), versions: (versions ?? []).map(toVersion) };
    },
    async set(key, value, ttlMs, unlockKey) {
      const px = Math.max(1, Math.ceil(ttlMs));
      if (unlockKey === undefined) await redis.set(key, value, { px });
      else await redis.pipeline().set(key, value, { px }).del(unlockKey).exec();
    },
    async del(key) {
      await redis.del(key);
    },
    async bump(keys, ttlSeconds) {
      if (keys.length === 0) return [];
      const replies = await redis.eval<[string], unknown[]>(BUMP_SCRIPT, [...keys], [String(ttlSeconds)]);
      return replies.map(toNumber);
    },
    async seed(keys, ttlSeconds) {
      if (keys.length === 0) return [];
      const replies = await redis.eval<[string], unknown[]>(SEED_SCRIPT, [...keys], [String(ttlSeconds)]);
      return replies.map(toNumber);
    },
  };
}
