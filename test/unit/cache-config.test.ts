import { describe, expect, it } from "vitest";
import { cacheOptionsFromConfig } from "../../shared/cache/index.ts";
import { ConfigError, loadConfig } from "../../shared/config.ts";

const DATABASE_URL = "postgres://u:p@db.example/app";

describe("cache config", () => {
  it("has bounded defaults for every cache tunable", () => {
    expect(loadConfig({ DATABASE_URL }).cache).toEqual({
      maxEntries: 1000,
      defaultTtlSeconds: 300,
      userDataTtlSeconds: 60,
      configDataTtlSeconds: 600,
      maxBytes: 32 * 1024 * 1024,
      maxValueBytes: 1024 * 1024,
      swrSeconds: 30,
      tagCheckIntervalMs: 1000,
      lockTtlMs: 3000,
      lockWaitMs: 3000,
      redisTimeoutMs: 300,
      breakerFailureThreshold: 5,
      breakerCooldownMs: 5000,
      refreshAfterWrite: true,
    });
    expect(loadConfig({ DATABASE_URL, CACHE_REFRESH_AFTER_WRITE: "0" }).cache.refreshAfterWrite).toBe(false);
  });

  it("maps env overrides into the cache's options", () => {
    const config = loadConfig({ DATABASE_URL, CACHE_TAG_CHECK_INTERVAL_MS: "250", CACHE_MAX_BYTES: "65536", CACHE_BREAKER_FAILURES: "2" });
    expect(cacheOptionsFromConfig(config.cache, "p:")).toMatchObject({
      tagCheckIntervalMs: 250,
      maxBytes: 65536,
      breakerFailureThreshold: 2,
      keyPrefix: "p:",
    });
  });

  it("rejects a nonsensical value and names the variable", () => {
    expect(() => loadConfig({ DATABASE_URL, CACHE_REDIS_TIMEOUT_MS: "0" })).toThrow(ConfigError);
    const error = (() => {
      try {
        loadConfig({ DATABASE_URL, CACHE_MAX_BYTES: "12" });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe("CACHE_MAX_BYTES");
  });
});
