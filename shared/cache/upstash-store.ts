/**
 * The CacheStore over @upstash/redis: each method is one REST round trip
 * (pipelines where several commands go together). Use a client built with
 * `upstashRedis(settings, { raw: true })`: the cache stores its own encoding and
 * must get the stored strings back unparsed.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { CacheStore } from "./types.ts";

const toVersion = (reply: unknown): number => {
  const n = typeof reply === "number" ? reply : Number(reply ?? 0);
  return Number.isFinite(n) ? n : 0;
};

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
    async set(key, value, ttlMs, unlockKey) {
      const px = Math.max(1, Math.ceil(ttlMs));
      if (unlockKey === undefined) await redis.set(key, value, { px });
      else await redis.pipeline().set(key, value, { px }).del(unlockKey).exec();
    },
    async del(key) {
      await redis.del(key);
    },
    async setIfAbsent(key, value, ttlMs) {
      const reply = await redis.set(key, value, { nx: true, px: Math.max(1, Math.ceil(ttlMs)) });
      return reply !== null;
    },
    async incr(keys) {
      if (keys.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.incr(key);
      const replies = await pipeline.exec<number[]>();
      return replies.map(toVersion);
    },
  };
}
