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
import { alertChannelsSetting, alertRulesSetting, defaultAlertChannels, defaultAlertRules, type MonitoringConfig } from "./monitoring/settings.ts";

/** One rejected variable: its env name and why. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Raised when the env cannot be turned into a valid config. */
export class ConfigError extends Error {
  readonly code = "config_invalid";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }

  /** The first variable at fault: enough to tell an operator where to look. */
  get variable(): string {
    return this.issues[0]?.variable ?? "";
  }
}

/** Raised when a client is asked for while its dependency has no connection settings. */
export class NotConfiguredError extends Error {
  readonly code = "not_configured";
  constructor() {
    super("not configured");
    this.name = "NotConfiguredError";
  }
}

export interface CacheConfig {
  maxEntries: number;
  defaultTtlSeconds: number;
  userDataTtlSeconds: number;
  configDataTtlSeconds: number;
  /** L1 bound in bytes of encoded values (an isolate has 128 MB). */
  maxBytes: number;
  /** Encoded values above this are served but not cached. */
  maxValueBytes: number;
  swrSeconds: number;
  /** Bound on cross-isolate staleness after a write: tag versions re-read from Redis at most this often. */
  tagCheckIntervalMs: number;
  lockTtlMs: number;
  lockWaitMs: number;
  /** Bound on each cache call to Redis, on top of the client's own timeout. */
  redisTimeoutMs: number;
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
}

export type QueryClassName = "user" | "config" | "default";

export interface QueryConfig {
  slowQueryThresholdMs: number;
  statementTimeoutMs: number;
  /** Run EXPLAIN (FORMAT JSON) for each slow query and keep the plan with its record. */
  explainSlowQueries: boolean;
  /** Slow-query records kept (ring buffer). */
  slowQueryLogSize: number;
  /** Distinct fingerprints with stats kept per isolate; the least used are dropped past it. */
  statsMaxFingerprints: number;
  /** Parsed statements kept per isolate (parse once per statement text). */
  analysisCacheSize: number;
  /** Table (schema-qualified) -> query class, which picks the cache TTL. */
  tableClasses: Readonly<Record<string, QueryClassName>>;
}

export interface BatchProcessorConfig {
  maxBatchSize: number;
  flushIntervalMs: number;
}

/** The metrics pipeline into ClickHouse (shared/analytics); batches follow batchProcessor. */
export interface AnalyticsConfig {
  /** Events held per table per isolate (queued + retrying); past it the oldest are dropped and counted. */
  maxQueueEvents: number;
  /** Byte budget of one insert (estimated JSON size). */
  maxBatchBytes: number;
  /** Sends per event before it is counted as dropped. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  rawRetentionDays: number;
  minuteRollupRetentionDays: number;
  /** Hourly and daily rollups (13 months by default). */
  hourRollupRetentionDays: number;
  /** An isolate records its cache counters (cache_events) at the end of a request at most this often. */
  cacheSampleIntervalMs: number;
  /** Per-minute counts of dropped events live in Redis this long (the ingestion_drops alert reads them). */
  dropCountTtlSeconds: number;
}

export interface WebSocketBatchingConfig {
  maxBatchSize: number;
  maxWaitMs: number;
  priorityThreshold: number;
  adaptiveMinBatch: number;
  adaptiveMaxBatch: number;
  /** A batch is flushed once its queued payload reaches this many bytes. */
  maxBatchBytes: number;
  /** Per-connection queue bound (messages); past it the lowest-priority oldest are dropped. */
  queueLimit: number;
  /** Largest inbound client message accepted (bytes). */
  maxMessageBytes: number;
  /** Per-connection inbound rate (token bucket refill per second, and its burst). */
  inboundRatePerSecond: number;
  inboundBurst: number;
}

export interface RoomsConfig {
  /** HMAC key for room connection tokens and server publishes; a secret. Undefined: rooms refuse everyone. */
  tokenSecret: string | undefined;
  tokenTtlSeconds: number;
  /** How often a room with connections sends its counters to the metrics pipeline (and on last disconnect). */
  metricsIntervalMs: number;
  /** Bound on one server publish to a room (agent state events); the API never waits for it. */
  publishTimeoutMs: number;
}

export interface HealthConfig {
  checkTimeoutMs: number;
}

export interface PostgresConfig {
  databaseUrl: string;
  /** host:port of the local Neon HTTP/WebSocket endpoint; dev only. */
  neonLocalEndpoint: string | undefined;
  poolMax: number;
  connectionTimeoutMs: number;
}

export interface RedisConfig {
  /** Undefined when Redis is not configured: callers degrade instead of failing. */
  url: string | undefined;
  token: string | undefined;
  requestTimeoutMs: number;
  retries: number;
}

export interface ClickHouseConfig {
  url: string | undefined;
  user: string;
  password: string;
  database: string;
  requestTimeoutMs: number;
}

export interface PartyKitConfig {
  /** host[:port], or a full http(s) origin. */
  host: string | undefined;
}

export interface AdminConfig {
  /** The bootstrap API key; a secret. */
  apiKey: string | undefined;
}

/** The index advisor (shared/db/advisor, cron job index-analysis). */
export interface IndexAdvisorConfig {
  /** Build the recommended indexes (CREATE INDEX CONCURRENTLY); off by default. */
  apply: boolean;
  maxIndexes: number;
  topStatements: number;
  minCalls: number;
  minTotalMs: number;
  lockTimeoutMs: number;
  buildTimeoutMs: number;
  clickhouseMaxPartsPerPartition: number;
}

/** One sliding-window rate limit; `requests` 0 turns it off. */
export interface RateLimitRule {
  requests: number;
  windowSeconds: number;
}

/** API access: keys, rate limits, CORS, body and time bounds, request logs (functions/middleware). */
export interface AccessConfig {
  /** How long an isolate trusts a key lookup: the bound on a revocation reaching other isolates. */
  keyCacheTtlMs: number;
  rateLimit: {
    /** Authenticated requests, per API key. */
    perKey: RateLimitRule;
    /** Unauthenticated (or failed-auth) requests, per client IP (IPv6 per /64). */
    perIp: RateLimitRule;
    /** POST /dashboard/login, per client IP, on top of perIp. */
    login: RateLimitRule;
    /** Past this the limiter lets the request through (fails open) and counts it. */
    timeoutMs: number;
    prefix: string;
  };
  /** The header that carries the client address; only one a trusted proxy sets (see README "Access"). */
  clientIpHeader: "cf-connecting-ip" | "x-forwarded-for" | "x-real-ip";
  /** Origins allowed by CORS ("*" for any); empty: no CORS headers at all. */
  corsAllowedOrigins: readonly string[];
  bodyMaxBytes: number;
  requestTimeoutMs: number;
  /** One structured JSON line per request. */
  logRequests: boolean;
}

export interface Config {
  access: AccessConfig;
  cache: CacheConfig;
  query: QueryConfig;
  batchProcessor: BatchProcessorConfig;
  analytics: AnalyticsConfig;
  websocket: WebSocketBatchingConfig;
  rooms: RoomsConfig;
  health: HealthConfig;
  postgres: PostgresConfig;
  redis: RedisConfig;
  clickhouse: ClickHouseConfig;
  partykit: PartyKitConfig;
  admin: AdminConfig;
  monitoring: MonitoringConfig;
  indexAdvisor: IndexAdvisorConfig;
}

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

/** The config as handed out: frozen all the way down. */
export type AppConfig = DeepReadonly<Config>;

const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number({ error: "must be a number" }).check(
    z.refine((n: number) => Number.isInteger(n), { error: "must be an integer" }),
    z.minimum(min, { error: `must be >= ${min}` }),
    z.maximum(max, { error: `must be <= ${max}` }),
  );

/** An integer variable with its default, within [min, max]. */
const intOr = (fallback: number, min: number, max?: number) => z._default(int(min, max), fallback);

const required = z.string({ error: "is required" }).check(z.minLength(1, { error: "is required" }));

const urlWithScheme = (schemes: readonly string[]) =>
  z.string().check(
    z.refine(
      (value: string) => {
        try {
          return schemes.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { error: `must be a ${schemes.map((s) => `${s}//`).join(" or ")} URL` },
    ),
  );

const hostPort = z
  .string()
  .check(z.regex(/^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/, { error: "must be host or host:port" }));

const partyKitHost = z.union([hostPort, urlWithScheme(["http:", "https:"])], {
  error: "must be host[:port] or an http(s) origin",
});

const TABLE_CLASSES_PATTERN = /^\s*([A-Za-z_][\w.]*\s*=\s*(user|config|default)\s*(,\s*|$))*$/;

/** "users=user,public.api_keys=config" -> { "public.users": "user", "public.api_keys": "config" }. */
function parseTableClasses(raw: string): Record<string, QueryClassName> {
  const classes: Record<string, QueryClassName> = {};
  for (const entry of raw.split(",")) {
    const [table, cls] = entry.split("=").map((part) => part.trim().toLowerCase());
    if (table === undefined || table === "" || cls === undefined) continue;
    classes[table.includes(".") ? table : `public.${table}`] = cls as QueryClassName;
  }
  return classes;
}

/** "https://a.example, http://localhost:5173" -> ["https://a.example", "http://localhost:5173"]; "" -> []. */
export function parseOriginList(raw: string): string[] {
  return raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
}

function isOriginList(raw: string): boolean {
  return parseOriginList(raw).every((entry) => {
    if (entry === "*") return true;
    try {
      const url = new URL(entry);
      return (url.protocol === "http:" || url.protocol === "https:") && url.origin === entry.replace(/\/$/, "");
    } catch {
      return false;
    }
  });
}

/** What a PartyKit room reads as well: it has no DATABASE_URL, so loadRoomConfig parses these alone. */
const ROOM_ENV = {
  WS_MAX_BATCH_SIZE: intOr(10, 1),
  WS_MAX_WAIT_MS: intOr(100, 0),
  WS_PRIORITY_THRESHOLD: intOr(3, 0),
  WS_ADAPTIVE_MIN_BATCH: intOr(2, 1),
  WS_ADAPTIVE_MAX_BATCH: intOr(50, 1),
  WS_MAX_BATCH_BYTES: intOr(64 * 1024, 1024),
  WS_QUEUE_LIMIT: intOr(1000, 1),
  WS_MAX_MESSAGE_BYTES: intOr(16 * 1024, 64),
  WS_INBOUND_RATE_PER_SECOND: intOr(100, 1),
  WS_INBOUND_BURST: intOr(200, 1),
  ROOM_TOKEN_SECRET: z.optional(z.string().check(z.minLength(16, { error: "must be at least 16 characters" }))),
  ROOM_TOKEN_TTL_SECONDS: intOr(300, 10, 86_400),
  ROOM_METRICS_INTERVAL_MS: intOr(10_000, 100, 3_600_000),
  ROOM_PUBLISH_TIMEOUT_MS: intOr(2000, 1, 60_000),
  // The metrics pipeline: rooms send their counters to ClickHouse like the Worker does.
  BATCH_MAX_SIZE: intOr(100, 1),
  BATCH_FLUSH_INTERVAL_MS: intOr(1000, 1),
  ANALYTICS_MAX_QUEUE_EVENTS: intOr(10_000, 100),
  ANALYTICS_MAX_BATCH_BYTES: intOr(1024 * 1024, 1024),
  ANALYTICS_MAX_ATTEMPTS: intOr(5, 1, 100),
  ANALYTICS_RETRY_BASE_MS: intOr(200, 1),
  ANALYTICS_RETRY_MAX_MS: intOr(30_000, 1),
  CLICKHOUSE_URL: z.optional(urlWithScheme(["http:", "https:"])),
  CLICKHOUSE_USER: z._default(z.string(), "default"),
  CLICKHOUSE_PASSWORD: z._default(z.string(), ""),
  CLICKHOUSE_DATABASE: z._default(z.string(), "netra"),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: intOr(10_000, 1),
};

type RoomEnv = z.infer<z.ZodMiniObject<typeof ROOM_ENV>>;

function checkRoomEnv(env: RoomEnv, issue: (variable: string, message: string) => void): void {
  if (env.WS_ADAPTIVE_MIN_BATCH > env.WS_ADAPTIVE_MAX_BATCH) {
    issue("WS_ADAPTIVE_MIN_BATCH", "must be <= WS_ADAPTIVE_MAX_BATCH");
  }
  if (env.WS_MAX_BATCH_SIZE < env.WS_ADAPTIVE_MIN_BATCH || env.WS_MAX_BATCH_SIZE > env.WS_ADAPTIVE_MAX_BATCH) {
    issue("WS_MAX_BATCH_SIZE", "must lie within WS_ADAPTIVE_MIN_BATCH..WS_ADAPTIVE_MAX_BATCH");
  }
}

function roomSections(e: RoomEnv): { websocket: WebSocketBatchingConfig; rooms: RoomsConfig } {
  return {
    websocket: {
      maxBatchSize: e.WS_MAX_BATCH_SIZE,
      maxWaitMs: e.WS_MAX_WAIT_MS,
      priorityThreshold: e.WS_PRIORITY_THRESHOLD,
      adaptiveMinBatch: e.WS_ADAPTIVE_MIN_BATCH,
      adaptiveMaxBatch: e.WS_ADAPTIVE_MAX_BATCH,
      maxBatchBytes: e.WS_MAX_BATCH_BYTES,
      queueLimit: e.WS_QUEUE_LIMIT,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      inboundRatePerSecond: e.WS_INBOUND_RATE_PER_SECOND,
      inboundBurst: e.WS_INBOUND_BURST,
    },
    rooms: { tokenSecret: e.ROOM_TOKEN_SECRET, tokenTtlSeconds: e.ROOM_TOKEN_TTL_SECONDS, metricsIntervalMs: e.ROOM_METRICS_INTERVAL_MS, publishTimeoutMs: e.ROOM_PUBLISH_TIMEOUT_MS },
  };
}

/** The event pipeline sections a room needs to write room_events (loadConfig builds the same from the same variables). */
function roomPipelineSections(e: RoomEnv): RoomPipelineConfig {
  return {
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      requestTimeoutMs: e.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    },
    batchProcessor: { maxBatchSize: e.BATCH_MAX_SIZE, flushIntervalMs: e.BATCH_FLUSH_INTERVAL_MS },
    analytics: {
      maxQueueEvents: e.ANALYTICS_MAX_QUEUE_EVENTS,
      maxBatchBytes: e.ANALYTICS_MAX_BATCH_BYTES,
      maxAttempts: e.ANALYTICS_MAX_ATTEMPTS,
      retryBaseMs: e.ANALYTICS_RETRY_BASE_MS,
      retryMaxMs: e.ANALYTICS_RETRY_MAX_MS,
    },
  };
}

interface RoomPipelineConfig {
  clickhouse: ClickHouseConfig;
  batchProcessor: BatchProcessorConfig;
  analytics: Pick<AnalyticsConfig, "maxQueueEvents" | "maxBatchBytes" | "maxAttempts" | "retryBaseMs" | "retryMaxMs">;
}

const EnvSchema = z
  .object({
    CACHE_MAX_ENTRIES: intOr(1000, 1),
    CACHE_DEFAULT_TTL_SECONDS: intOr(300, 1),
    CACHE_TTL_USER_DATA_SECONDS: intOr(60, 1),
    CACHE_TTL_CONFIG_DATA_SECONDS: intOr(600, 1),
    CACHE_MAX_BYTES: intOr(32 * 1024 * 1024, 1024),
    CACHE_MAX_VALUE_BYTES: intOr(1024 * 1024, 1),
    CACHE_SWR_SECONDS: intOr(30, 0),
    CACHE_TAG_CHECK_INTERVAL_MS: intOr(1000, 0),
    CACHE_LOCK_TTL_MS: intOr(3000, 1),
    CACHE_LOCK_WAIT_MS: intOr(1000, 0),
    CACHE_REDIS_TIMEOUT_MS: intOr(300, 1),
    CACHE_BREAKER_FAILURES: intOr(5, 1),
    CACHE_BREAKER_COOLDOWN_MS: intOr(5000, 1),
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
    PARTYKIT_HOST: z.optional(partyKitHost),
    API_ADMIN_KEY: z.optional(z.string()),
    INDEX_ADVISOR_APPLY: z._default(z.enum(["0", "1", "false", "true"], { error: "must be 0, 1, false or true" }), "false"),
    INDEX_ADVISOR_MAX_INDEXES: intOr(5, 0, 50),
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
    LOG_REQUESTS: z._default(z.enum(["0", "1", "false", "true"], { error: "must be 0, 1, false or true" }), "1"),
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

/** The name of an env variable this module reads. */
export type ConfigVariable = keyof z.input<typeof EnvSchema>;

/** The env variable names this module reads. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = Object.freeze(
  Object.keys(EnvSchema.shape) as ConfigVariable[],
);

/**
 * Reads only the variables the schema knows; empty strings count as unset so a
 * blank line in .dev.vars falls back to the default. Numbers and booleans (TOML
 * [vars] may hold them) become strings; anything else is rejected.
 */
function normalise(env: Readonly<Record<string, unknown>>): { values: Record<string, string>; issues: ConfigIssue[] } {
  const values: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  for (const name of CONFIG_VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw === null) continue;
    if (typeof raw === "number" || typeof raw === "boolean") {
      values[name] = String(raw);
      continue;
    }
    if (typeof raw !== "string") {
      issues.push({ variable: name, message: "must be a string" });
      continue;
    }
    const trimmed = raw.trim();
    if (trimmed !== "") values[name] = trimmed;
  }
  return { values, issues };
}

function deepFreeze<T extends object>(value: T): DeepReadonly<T> {
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
  return Object.freeze(value) as DeepReadonly<T>;
}

/**
 * Parses and validates the env. Throws ConfigError listing every bad variable.
 *
 * @example
 * loadConfig({ DATABASE_URL: "postgres://u:p@h/db", HEALTH_CHECK_TIMEOUT_MS: "800" }).health.checkTimeoutMs; // 800
 */
export function loadConfig(env: Readonly<Record<string, unknown>>): AppConfig {
  const { values, issues } = normalise(env);
  if (issues.length > 0) throw new ConfigError(issues);
  const parsed = z.safeParse(EnvSchema, values);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "env"), message: issue.message })),
    );
  }
  const e = parsed.data;
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
      logRequests: e.LOG_REQUESTS === "1" || e.LOG_REQUESTS === "true",
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
    batchProcessor: { maxBatchSize: e.BATCH_MAX_SIZE, flushIntervalMs: e.BATCH_FLUSH_INTERVAL_MS },
    analytics: {
      maxQueueEvents: e.ANALYTICS_MAX_QUEUE_EVENTS,
      maxBatchBytes: e.ANALYTICS_MAX_BATCH_BYTES,
      maxAttempts: e.ANALYTICS_MAX_ATTEMPTS,
      retryBaseMs: e.ANALYTICS_RETRY_BASE_MS,
      retryMaxMs: e.ANALYTICS_RETRY_MAX_MS,
      rawRetentionDays: e.ANALYTICS_RAW_RETENTION_DAYS,
      minuteRollupRetentionDays: e.ANALYTICS_MINUTE_ROLLUP_RETENTION_DAYS,
      hourRollupRetentionDays: e.ANALYTICS_HOUR_ROLLUP_RETENTION_DAYS,
      cacheSampleIntervalMs: e.ANALYTICS_CACHE_SAMPLE_INTERVAL_MS,
      dropCountTtlSeconds: e.ANALYTICS_DROP_COUNT_TTL_SECONDS,
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
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      requestTimeoutMs: e.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    },
    partykit: { host: e.PARTYKIT_HOST },
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

/** The config sections a PartyKit room uses. */
export type RoomAppConfig = DeepReadonly<{ websocket: WebSocketBatchingConfig; rooms: RoomsConfig } & RoomPipelineConfig>;

const RoomEnvSchema = z.object(ROOM_ENV).check(
  z.superRefine((env, ctx) => {
    checkRoomEnv(env, (variable, message) => ctx.addIssue({ code: "custom", path: [variable], message, input: env }));
  }),
);

/**
 * The WebSocket batching and room-auth sections alone, for a PartyKit room (its
 * env has none of the Worker's database or cache settings). Same variables,
 * defaults and errors as loadConfig.
 *
 * @example
 * loadRoomConfig({ WS_MAX_WAIT_MS: "50" }).websocket.maxWaitMs; // 50
 */
export function loadRoomConfig(env: Readonly<Record<string, unknown>>): RoomAppConfig {
  const { values, issues } = normalise(env);
  if (issues.length > 0) throw new ConfigError(issues);
  const parsed = z.safeParse(RoomEnvSchema, values);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "env"), message: issue.message })),
    );
  }
  return deepFreeze({ ...roomSections(parsed.data), ...roomPipelineSections(parsed.data) });
}

/**
 * The origin (scheme://host[:port]) for a PartyKit host setting. A bare host is
 * served over plain http only on loopback, the way partysocket decides.
 */
export function partyKitOrigin(host: string): string {
  if (/^https?:\/\//.test(host)) return host.replace(/\/+$/, "");
  const local = /^(localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1?\])(:\d+)?$/.test(host);
  return `${local ? "http" : "https"}://${host}`;
}
