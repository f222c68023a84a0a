/** The shape of the parsed configuration, section by section. */
import type { MonitoringConfig } from "../monitoring/settings.ts";

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
  /** Re-read the point reads cached for a row right after a write to it (shared/db/row-refresh.ts). */
  refreshAfterWrite: boolean;
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
  /** Inserts ask ClickHouse to batch them on the server (async_insert, waiting for the flush, deduplicated). */
  asyncInsert: boolean;
  rawRetentionDays: number;
  minuteRollupRetentionDays: number;
  /** Hourly and daily rollups (13 months by default). */
  hourRollupRetentionDays: number;
  /** An isolate records its cache counters (cache_events) at the end of a request at most this often. */
  cacheSampleIntervalMs: number;
  /** Per-minute counts of dropped events live in Redis this long (the ingestion_drops alert reads them). */
  dropCountTtlSeconds: number;
  /**
   * Local dev only: the bearer token of the loopback drain route the dev runner calls
   * before it stops wrangler (functions/dev-drain.ts). Undefined (always, in production):
   * no such route.
   */
  devDrainToken: string | undefined;
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
  /** How soon after activity a room sends its counters to the metrics pipeline (the room's alarm). */
  metricsIntervalMs: number;
  /** The history a reconnecting client recovers missed messages from: at most this many messages, none older. */
  history: { maxMessages: number; maxAgeMs: number };
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
  /**
   * Which requests get a JSON log line: every one, only the failed (5xx) and slow ones, or none.
   * Every invocation is in Workers Logs either way, and every request in request_events.
   */
  logRequests: "all" | "errors" | "off";
  /** With "errors": a request at least this slow is logged whatever its status. */
  logSlowRequestMs: number;
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
  admin: AdminConfig;
  monitoring: MonitoringConfig;
  indexAdvisor: IndexAdvisorConfig;
}

export type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

/** The config as handed out: frozen all the way down. */
export type AppConfig = DeepReadonly<Config>;
