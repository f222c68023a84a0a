/**
 * Every tunable of netra-edge in one place, parsed from the Worker env (a plain
 * record of strings) into a typed, frozen config. Defaults are the seed's
 * (performance-optimizations.md); a bad value raises a ConfigError that names
 * the variable and never echoes its value (it may be a secret).
 *
 * @example
 * const config = loadConfig({ DATABASE_URL: "postgres://u:p@db/app" });
 * config.cache.maxEntries; // 1000
 */
// zod/mini, not zod: the same validation for ~20 KB of Worker bundle instead of ~450 KB.
import * as z from "zod/mini";
// The cache's tunables default where the cache defines them (one place for each default).
import { DEFAULT_OPTIONS as CACHE_DEFAULTS } from "./cache/defaults.ts";
import { alertChannelsSetting, alertRulesSetting, defaultAlertChannels, defaultAlertRules } from "./monitoring/settings.ts";
import { ConfigError } from "./config/errors.ts";
import { ROOM_ENV, checkRoomEnv, roomPipelineSections, roomSections } from "./config/room.ts";
import type { AccessConfig, AppConfig, Config } from "./config/types.ts";
import { deepFreeze, hostPort, intOr, isOriginList, normalise, parseOriginList, parseTableClasses, required, TABLE_CLASSES_PATTERN, urlWithScheme } from "./config/validators.ts";

export * from "./config/errors.ts";
export * from "./config/types.ts";
export { loadRoomConfig, type RoomAppConfig } from "./config/room.ts";
export { parseOriginList } from "./config/validators.ts";

const EnvSchema = z
  .object({
    CACHE_MAX_ENTRIES: intOr(CACHE_DEFAULTS.maxEntries, 1),
    CACHE_DEFAULT_TTL_SECONDS: intOr(300, 1),
    CACHE_TTL_USER_DATA_SECONDS: intOr(60, 1),
    CACHE_TTL_CONFIG_DATA_SECONDS: intOr(600, 1),
    CACHE_MAX_BYTES: intOr(CACHE_DEFAULTS.maxBytes, 1024),
    CACHE_MAX_VALUE_BYTES: intOr(CACHE_DEFAULTS.maxValueBytes, 1),
    CACHE_SWR_SECONDS: intOr(CACHE_DEFAULTS.swrSeconds, 0),
    CACHE_TAG_CHECK_INTERVAL_MS: intOr(CACHE_DEFAULTS.tagCheckIntervalMs, 0),
    CACHE_LOCK_TTL_MS: intOr(CACHE_DEFAULTS.lockTtlMs, 1),
    CACHE_LOCK_WAIT_MS: intOr(CACHE_DEFAULTS.lockWaitMs, 0),
    CACHE_REDIS_TIMEOUT_MS: intOr(CACHE_DEFAULTS.redisTimeoutMs, 1),
    CACHE_BREAKER_FAILURES: intOr(CACHE_DEFAULTS.breakerFailureThreshold, 1),
    CACHE_BREAKER_COOLDOWN_MS: intOr(CACHE_DEFAULTS.breakerCooldownMs, 1),
    CACHE_REFRESH_AFTER_WRITE: z._default(z.enum(["0", "1", "false", "true"], { error: "must be 0, 1, false or true" }), "1"),
    SLOW_QUERY_THRESHOLD_MS: intOr(1000, 1),
    STATEMENT_TIMEOUT_MS: intOr(30_000, 1),
    QUERY_EXPLAIN_SLOW: z._default(z.enum(["0", "1", "false", "true"], { error: "must be 0, 1, false or true" }), "0"),
    SLOW_QUERY_LOG_SIZE: intOr(100, 1, 10_000),
    QUERY_STATS_MAX_FINGERPRINTS: intOr(500, 1, 100_000),
    QUERY_ANALYSIS_CACHE_SIZE: intOr(1000, 1, 100_000),
    QUERY_TABLE_CLASSES: z._default(
      z.string().check(z.regex(TABLE_CLASSES_PATTERN, { error: "must be table=user|config|default, comma-separated" })),
      "users=user,agent_states=user,audit_logs=user,api_keys=config",
    ),
    ANALYTICS_RAW_RETENTION_DAYS: intOr(7, 1, 3650),
    ANALYTICS_MINUTE_ROLLUP_RETENTION_DAYS: intOr(90, 1, 3650),
    ANALYTICS_HOUR_ROLLUP_RETENTION_DAYS: intOr(395, 1, 3650),
    ANALYTICS_CACHE_SAMPLE_INTERVAL_MS: intOr(60_000, 0, 86_400_000),
    ANALYTICS_DROP_COUNT_TTL_SECONDS: intOr(2 * 86_400, 120, 90 * 86_400),
    // Set only by the local dev runner (scripts/lib/dev-servers.ts); unset, the drain route does not exist.
    ANALYTICS_DEV_DRAIN_TOKEN: z.optional(z.string().check(z.minLength(32, { error: "must be at least 32 characters" }))),
    ...ROOM_ENV,
    HEALTH_CHECK_TIMEOUT_MS: intOr(1500, 1, 60_000),
    DATABASE_URL: z.pipe(required, urlWithScheme(["postgres:", "postgresql:"])),
    NEON_LOCAL_ENDPOINT: z.optional(hostPort),
    DB_POOL_MAX: intOr(20, 1),
    DB_CONNECTION_TIMEOUT_MS: intOr(30_000, 1),
    UPSTASH_REDIS_REST_URL: z.optional(urlWithScheme(["http:", "https:"])),
    UPSTASH_REDIS_REST_TOKEN: z.optional(z.string()),
    UPSTASH_REQUEST_TIMEOUT_MS: intOr(1000, 1),
    UPSTASH_RETRIES: intOr(1, 0, 10),
    API_ADMIN_KEY: z.optional(z.string()),
    INDEX_ADVISOR_APPLY: z._default(z.enum(["0", "1", "false", "true"], { error: "must be 0, 1, false or true" }), "false"),
    INDEX_ADVISOR_MAX_INDEXES: intOr(25, 0, 50),
    INDEX_ADVISOR_TOP_STATEMENTS: intOr(50, 1, 1000),
    INDEX_ADVISOR_MIN_CALLS: intOr(5, 1),
    INDEX_ADVISOR_MIN_TOTAL_MS: intOr(1, 0),
    INDEX_ADVISOR_LOCK_TIMEOUT_MS: intOr(2000, 1),
    INDEX_ADVISOR_BUILD_TIMEOUT_MS: intOr(600_000, 1),
    CLICKHOUSE_MAX_PARTS_PER_PARTITION: intOr(300, 1),
    ALERT_RULES: z.optional(alertRulesSetting),
    ALERT_CHANNELS: z.optional(alertChannelsSetting),
    ALERT_COOLDOWN_SECONDS: intOr(600, 0, 7 * 86_400),
    ALERT_HISTORY_LIMIT: intOr(200, 10, 10_000),
    ALERT_WEBHOOK_TIMEOUT_MS: intOr(5000, 100, 60_000),
    ALERT_WEBHOOK_RETRIES: intOr(3, 0, 10),
    ALERT_KEY_PREFIX: z._default(z.string().check(z.regex(/^[A-Za-z0-9:_.-]{1,64}$/, { error: "must be 1-64 of A-Z a-z 0-9 : _ . -" })), "netra:alerts:"),
    DASHBOARD_SESSION_SECRET: z.optional(z.string().check(z.minLength(32, { error: "must be at least 32 characters" }))),
    API_KEY_CACHE_TTL_MS: intOr(30_000, 0, 3_600_000),
    RATE_LIMIT_KEY_REQUESTS: intOr(3000, 0),
    RATE_LIMIT_KEY_WINDOW_SECONDS: intOr(60, 1, 86_400),
    RATE_LIMIT_IP_REQUESTS: intOr(300, 0),
    RATE_LIMIT_IP_WINDOW_SECONDS: intOr(60, 1, 86_400),
    RATE_LIMIT_LOGIN_REQUESTS: intOr(10, 0),
    RATE_LIMIT_LOGIN_WINDOW_SECONDS: intOr(60, 1, 86_400),
    RATE_LIMIT_TIMEOUT_MS: intOr(200, 1, 10_000),
    RATE_LIMIT_PREFIX: z._default(z.string().check(z.regex(/^[A-Za-z0-9:_.-]{1,64}$/, { error: "must be 1-64 of A-Z a-z 0-9 : _ . -" })), "netra:rl"),
    CLIENT_IP_HEADER: z._default(z.enum(["cf-connecting-ip", "x-forwarded-for", "x-real-ip"], { error: "must be cf-connecting-ip, x-forwarded-for or x-real-ip" }), "cf-connecting-ip"),
    CORS_ALLOWED_ORIGINS: z._default(z.string().check(z.refine(isOriginList, { error: "must be * or comma-separated origins (scheme://host[:port])" })), ""),
    BODY_MAX_BYTES: intOr(1024 * 1024, 1024, 100 * 1024 * 1024),
    REQUEST_TIMEOUT_MS: intOr(10_000, 1, 600_000),
    LOG_REQUESTS: z._default(z.enum(["all", "errors", "off", "0", "1", "false", "true"], { error: "must be all, errors or off (1/true mean all, 0/false mean off)" }), "errors"),
    LOG_SLOW_REQUEST_MS: intOr(1000, 1, 600_000),
  })
  .check(
    z.superRefine((env, ctx) => {
      const issue = (variable: string, message: string) =>
        ctx.addIssue({ code: "custom", path: [variable], message, input: env });
      if (env.UPSTASH_REDIS_REST_URL !== undefined && env.UPSTASH_REDIS_REST_TOKEN === undefined) {
        issue("UPSTASH_REDIS_REST_TOKEN", "is required when UPSTASH_REDIS_REST_URL is set");
      }
      if (env.UPSTASH_REDIS_REST_TOKEN !== undefined && env.UPSTASH_REDIS_REST_URL === undefined) {
        issue("UPSTASH_REDIS_REST_URL", "is required when UPSTASH_REDIS_REST_TOKEN is set");
      }
      checkRoomEnv(env, issue);
    }),
  );

/** LOG_REQUESTS: the booleans it accepted before it had modes keep their meaning. */
function requestLogMode(value: "all" | "errors" | "off" | "0" | "1" | "false" | "true"): AccessConfig["logRequests"] {
  if (value === "1" || value === "true") return "all";
  if (value === "0" || value === "false") return "off";
  return value;
}

/** The name of an env variable this module reads. */
export type ConfigVariable = keyof z.input<typeof EnvSchema>;

/** The env variable names this module reads. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze(
  Object.keys(EnvSchema.shape) as ConfigVariable[],
);

/**
 * Parses and validates the env. Throws ConfigError listing every bad variable.
 *
 * @example
 * loadConfig({ DATABASE_URL: "postgres://u:p@h/db", HEALTH_CHECK_TIMEOUT_MS: "800" }).health.checkTimeoutMs; // 800
 */
export function loadConfig(env: Readonly<Record<string, unknown>>): AppConfig {
  const { values, issues } = normalise(env, CONFIG_VARIABLES);
  if (issues.length > 0) throw new ConfigError(issues);
  const parsed = z.safeParse(EnvSchema, values);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "env"), message: issue.message })),
    );
  }
  const e = parsed.data;
  const pipeline = roomPipelineSections(e);
  return deepFreeze<Config>({
    access: {
      keyCacheTtlMs: e.API_KEY_CACHE_TTL_MS,
      rateLimit: {
        perKey: { requests: e.RATE_LIMIT_KEY_REQUESTS, windowSeconds: e.RATE_LIMIT_KEY_WINDOW_SECONDS },
        perIp: { requests: e.RATE_LIMIT_IP_REQUESTS, windowSeconds: e.RATE_LIMIT_IP_WINDOW_SECONDS },
        login: { requests: e.RATE_LIMIT_LOGIN_REQUESTS, windowSeconds: e.RATE_LIMIT_LOGIN_WINDOW_SECONDS },
        timeoutMs: e.RATE_LIMIT_TIMEOUT_MS,
        prefix: e.RATE_LIMIT_PREFIX,
      },
      clientIpHeader: e.CLIENT_IP_HEADER,
      corsAllowedOrigins: parseOriginList(e.CORS_ALLOWED_ORIGINS).map((origin) => origin.replace(/\/$/, "")),
      bodyMaxBytes: e.BODY_MAX_BYTES,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      logRequests: requestLogMode(e.LOG_REQUESTS),
      logSlowRequestMs: e.LOG_SLOW_REQUEST_MS,
    },
    cache: {
      maxEntries: e.CACHE_MAX_ENTRIES,
      defaultTtlSeconds: e.CACHE_DEFAULT_TTL_SECONDS,
      userDataTtlSeconds: e.CACHE_TTL_USER_DATA_SECONDS,
      configDataTtlSeconds: e.CACHE_TTL_CONFIG_DATA_SECONDS,
      maxBytes: e.CACHE_MAX_BYTES,
      maxValueBytes: e.CACHE_MAX_VALUE_BYTES,
      swrSeconds: e.CACHE_SWR_SECONDS,
      tagCheckIntervalMs: e.CACHE_TAG_CHECK_INTERVAL_MS,
      lockTtlMs: e.CACHE_LOCK_TTL_MS,
      lockWaitMs: e.CACHE_LOCK_WAIT_MS,
      redisTimeoutMs: e.CACHE_REDIS_TIMEOUT_MS,
      breakerFailureThreshold: e.CACHE_BREAKER_FAILURES,
      breakerCooldownMs: e.CACHE_BREAKER_COOLDOWN_MS,
      refreshAfterWrite: e.CACHE_REFRESH_AFTER_WRITE === "1" || e.CACHE_REFRESH_AFTER_WRITE === "true",
    },
    query: {
      slowQueryThresholdMs: e.SLOW_QUERY_THRESHOLD_MS,
      statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
      explainSlowQueries: e.QUERY_EXPLAIN_SLOW === "1" || e.QUERY_EXPLAIN_SLOW === "true",
      slowQueryLogSize: e.SLOW_QUERY_LOG_SIZE,
      statsMaxFingerprints: e.QUERY_STATS_MAX_FINGERPRINTS,
      analysisCacheSize: e.QUERY_ANALYSIS_CACHE_SIZE,
      tableClasses: parseTableClasses(e.QUERY_TABLE_CLASSES),
    },
    // clickhouse, batchProcessor and the analytics queue bounds: the same builder a room uses.
    ...pipeline,
    analytics: {
      ...pipeline.analytics,
      rawRetentionDays: e.ANALYTICS_RAW_RETENTION_DAYS,
      minuteRollupRetentionDays: e.ANALYTICS_MINUTE_ROLLUP_RETENTION_DAYS,
      hourRollupRetentionDays: e.ANALYTICS_HOUR_ROLLUP_RETENTION_DAYS,
      cacheSampleIntervalMs: e.ANALYTICS_CACHE_SAMPLE_INTERVAL_MS,
      dropCountTtlSeconds: e.ANALYTICS_DROP_COUNT_TTL_SECONDS,
      devDrainToken: e.ANALYTICS_DEV_DRAIN_TOKEN,
    },
    ...roomSections(e),
    health: { checkTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS },
    postgres: {
      databaseUrl: e.DATABASE_URL,
      neonLocalEndpoint: e.NEON_LOCAL_ENDPOINT,
      poolMax: e.DB_POOL_MAX,
      connectionTimeoutMs: e.DB_CONNECTION_TIMEOUT_MS,
    },
    redis: {
      url: e.UPSTASH_REDIS_REST_URL,
      token: e.UPSTASH_REDIS_REST_TOKEN,
      requestTimeoutMs: e.UPSTASH_REQUEST_TIMEOUT_MS,
      retries: e.UPSTASH_RETRIES,
    },
    admin: { apiKey: e.API_ADMIN_KEY },
    indexAdvisor: {
      apply: e.INDEX_ADVISOR_APPLY === "1" || e.INDEX_ADVISOR_APPLY === "true",
      maxIndexes: e.INDEX_ADVISOR_MAX_INDEXES,
      topStatements: e.INDEX_ADVISOR_TOP_STATEMENTS,
      minCalls: e.INDEX_ADVISOR_MIN_CALLS,
      minTotalMs: e.INDEX_ADVISOR_MIN_TOTAL_MS,
      lockTimeoutMs: e.INDEX_ADVISOR_LOCK_TIMEOUT_MS,
      buildTimeoutMs: e.INDEX_ADVISOR_BUILD_TIMEOUT_MS,
      clickhouseMaxPartsPerPartition: e.CLICKHOUSE_MAX_PARTS_PER_PARTITION,
    },
    monitoring: {
      rules: e.ALERT_RULES ?? defaultAlertRules(),
      channels: e.ALERT_CHANNELS ?? defaultAlertChannels(),
      cooldownSeconds: e.ALERT_COOLDOWN_SECONDS,
      historyLimit: e.ALERT_HISTORY_LIMIT,
      webhookTimeoutMs: e.ALERT_WEBHOOK_TIMEOUT_MS,
      webhookRetries: e.ALERT_WEBHOOK_RETRIES,
      keyPrefix: e.ALERT_KEY_PREFIX,
      sessionSecret: e.DASHBOARD_SESSION_SECRET,
    },
  });
}
