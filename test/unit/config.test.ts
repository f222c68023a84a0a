import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../shared/config.ts";

const DATABASE_URL = "postgres://netra:secret@127.0.0.1:25432/netra";

function configError(env: Record<string, unknown>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("applies the seed's defaults when only DATABASE_URL is set", () => {
    const config = loadConfig({ DATABASE_URL });
    expect(config.cache).toMatchObject({ maxEntries: 1000, defaultTtlSeconds: 300, userDataTtlSeconds: 60, configDataTtlSeconds: 600 });
    expect(config.query).toMatchObject({ slowQueryThresholdMs: 1000, statementTimeoutMs: 30_000 });
    // Not the seed's 100: ClickHouse wants at least 1,000 rows per insert (shared/config/room.ts).
    expect(config.batchProcessor).toEqual({ maxBatchSize: 1000, flushIntervalMs: 1000 });
    // With async inserts the server's 1 s flush comes on top: the batch waits half as long.
    expect(loadConfig({ DATABASE_URL, ANALYTICS_ASYNC_INSERT: "1" }).batchProcessor.flushIntervalMs).toBe(500);
    expect(loadConfig({ DATABASE_URL, ANALYTICS_ASYNC_INSERT: "1", BATCH_FLUSH_INTERVAL_MS: "250" }).batchProcessor.flushIntervalMs).toBe(250);
    // The seed's WebSocket batching defaults, plus the bounds the rooms add.
    expect(config.websocket).toEqual({
      maxBatchSize: 10,
      maxWaitMs: 100,
      priorityThreshold: 3,
      adaptiveMinBatch: 2,
      adaptiveMaxBatch: 50,
      maxBatchBytes: 65536,
      queueLimit: 1000,
      maxMessageBytes: 16384,
      inboundRatePerSecond: 100,
      inboundBurst: 200,
    });
    expect(config.health.checkTimeoutMs).toBe(1500);
    expect(config.postgres).toMatchObject({ databaseUrl: DATABASE_URL, neonLocalEndpoint: undefined });
    expect(config.redis.url).toBeUndefined();
    expect(config.clickhouse).toMatchObject({ url: undefined, user: "default", database: "netra" });
  });

  it("parses overrides and connection settings from strings", () => {
    const config = loadConfig({
      DATABASE_URL,
      CACHE_MAX_ENTRIES: "5000",
      HEALTH_CHECK_TIMEOUT_MS: " 800 ",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:28079",
      UPSTASH_REDIS_REST_TOKEN: "tok",
      CLICKHOUSE_URL: "http://127.0.0.1:28123",
      CLICKHOUSE_DATABASE: "netra",
      NEON_LOCAL_ENDPOINT: "127.0.0.1:24444",
      API_ADMIN_KEY: "k",
    });
    expect(config.cache.maxEntries).toBe(5000);
    expect(config.health.checkTimeoutMs).toBe(800);
    expect(config.redis).toMatchObject({ url: "http://127.0.0.1:28079", token: "tok" });
    expect(config.clickhouse).toMatchObject({ url: "http://127.0.0.1:28123", database: "netra" });
    expect(config.postgres.neonLocalEndpoint).toBe("127.0.0.1:24444");
    expect(config.admin.apiKey).toBe("k");
  });

  it("treats empty strings as unset and accepts numbers from TOML vars", () => {
    const config = loadConfig({ DATABASE_URL, CACHE_MAX_ENTRIES: "", BATCH_MAX_SIZE: 250, CLICKHOUSE_URL: "" });
    expect(config.cache.maxEntries).toBe(1000);
    expect(config.batchProcessor.maxBatchSize).toBe(250);
    expect(config.clickhouse.url).toBeUndefined();
  });

  it("returns a config frozen all the way down", () => {
    const config = loadConfig({ DATABASE_URL });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cache)).toBe(true);
    expect(() => {
      (config.cache as { maxEntries: number }).maxEntries = 1;
    }).toThrow(TypeError);
  });

  it("requires DATABASE_URL", () => {
    const error = configError({});
    expect(error.code).toBe("config_invalid");
    expect(error.variable).toBe("DATABASE_URL");
    expect(error.issues[0]?.message).toBe("is required");
  });

  it("names the variable of a bad number without echoing its value", () => {
    const error = configError({ DATABASE_URL, CACHE_DEFAULT_TTL_SECONDS: "five-minutes" });
    expect(error.variable).toBe("CACHE_DEFAULT_TTL_SECONDS");
    expect(error.message).toContain("CACHE_DEFAULT_TTL_SECONDS must be a number");
    expect(error.message).not.toContain("five-minutes");
  });

  it("rejects fractions, out-of-range values and non-string bindings", () => {
    expect(configError({ DATABASE_URL, BATCH_MAX_SIZE: "1.5" }).issues).toEqual([
      { variable: "BATCH_MAX_SIZE", message: "must be an integer" },
    ]);
    expect(configError({ DATABASE_URL, HEALTH_CHECK_TIMEOUT_MS: "0" }).issues).toEqual([
      { variable: "HEALTH_CHECK_TIMEOUT_MS", message: "must be >= 1" },
    ]);
    expect(configError({ DATABASE_URL, ROOM_HISTORY_MESSAGES: { n: 1 } }).variable).toBe("ROOM_HISTORY_MESSAGES");
  });

  it("lists every bad variable at once", () => {
    const error = configError({ DATABASE_URL: "mysql://x/y", CLICKHOUSE_URL: "ftp://ch", ROOM_HISTORY_MAX_AGE_MS: "10" });
    expect(error.issues.map((i) => i.variable).sort()).toEqual(["CLICKHOUSE_URL", "DATABASE_URL", "ROOM_HISTORY_MAX_AGE_MS"]);
    expect(error.message).not.toContain("secret");
  });

  it("requires the Upstash URL and token together", () => {
    expect(configError({ DATABASE_URL, UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }).variable).toBe(
      "UPSTASH_REDIS_REST_TOKEN",
    );
    expect(configError({ DATABASE_URL, UPSTASH_REDIS_REST_TOKEN: "t" }).variable).toBe("UPSTASH_REDIS_REST_URL");
  });

  it("keeps the WebSocket batch size inside the adaptive range", () => {
    expect(configError({ DATABASE_URL, WS_ADAPTIVE_MIN_BATCH: "60" }).issues.map((i) => i.variable)).toContain(
      "WS_ADAPTIVE_MIN_BATCH",
    );
    expect(configError({ DATABASE_URL, WS_MAX_BATCH_SIZE: "51" }).variable).toBe("WS_MAX_BATCH_SIZE");
  });
});

