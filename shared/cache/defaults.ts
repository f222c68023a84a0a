/**
 * The cache's defaults: the tunables a TieredCacheOptions leaves out, and the
 * sleep used between lock polls unless tests inject their own.
 */
import type { TieredCacheOptions } from "./types.ts";

export const DEFAULT_OPTIONS: TieredCacheOptions = {
  maxEntries: 1000,
  maxBytes: 32 * 1024 * 1024,
  maxValueBytes: 1024 * 1024,
  swrSeconds: 30,
  tagCheckIntervalMs: 1000,
  tagTtlSeconds: 86_400,
  lockTtlMs: 3000,
  lockWaitMs: 3000,
  lockPollMs: 25,
  joinWaitMs: 10_000,
  redisTimeoutMs: 300,
  breakerFailureThreshold: 5,
  breakerCooldownMs: 5000,
  keyPrefix: "netra:cache:",
};

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
