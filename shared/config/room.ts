/** The variables a room reads (the room's config alone: no DATABASE_URL needed), and loadRoomConfig. */
// zod/mini, not zod: the same validation for ~20 KB of Worker bundle instead of ~450 KB.
import * as z from "zod/mini";
import { ConfigError } from "./errors.ts";
import type { AnalyticsConfig, BatchProcessorConfig, ClickHouseConfig, DeepReadonly, RoomsConfig, WebSocketBatchingConfig } from "./types.ts";
import { deepFreeze, int, intOr, normalise, urlWithScheme } from "./validators.ts";

/** What a room reads: loadRoomConfig parses these alone, so a room never fails on the API's settings. */
export const ROOM_ENV = {
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
  ROOM_METRICS_INTERVAL_MS: intOr(1000, 100, 3_600_000),
  ROOM_HISTORY_MESSAGES: intOr(10_000, 1, 1_000_000),
  ROOM_HISTORY_MAX_AGE_MS: intOr(300_000, 1000, 86_400_000),
  ROOM_PUBLISH_TIMEOUT_MS: intOr(2000, 1, 60_000),
  // The metrics pipeline: rooms send their counters to ClickHouse like the Worker does.
  // ClickHouse's guidance is at least 1,000 rows per insert: a local insert costs about the same
  // CPU for 100 rows as for 1,000 (`npm run bench -- clickhouse-views --rows N`), so under load
  // a smaller cap only means more inserts (README, "Request path").
  BATCH_MAX_SIZE: intOr(1000, 1),
  // A batch is due this long after its oldest event (0: as soon as the insert before it is done).
  // Unset: 1000 ms with synchronous inserts, 500 ms with ANALYTICS_ASYNC_INSERT=1 (defaultFlushIntervalMs).
  BATCH_FLUSH_INTERVAL_MS: z.optional(int(0)),
  ANALYTICS_MAX_QUEUE_EVENTS: intOr(10_000, 100),
  ANALYTICS_MAX_BATCH_BYTES: intOr(1024 * 1024, 1024),
  // 30 sends with the default backoff hold an event through at least 5.6 min of ClickHouse outage (README, "Outages").
  ANALYTICS_MAX_ATTEMPTS: intOr(30, 1, 100),
  ANALYTICS_RETRY_BASE_MS: intOr(200, 1),
  ANALYTICS_RETRY_MAX_MS: intOr(30_000, 1),
  // 1: ClickHouse asynchronous inserts, batched on the server across isolates (README, "Metrics at scale").
  ANALYTICS_ASYNC_INSERT: intOr(0, 0, 1),
  CLICKHOUSE_URL: z.optional(urlWithScheme(["http:", "https:"])),
  CLICKHOUSE_USER: z._default(z.string(), "default"),
  CLICKHOUSE_PASSWORD: z._default(z.string(), ""),
  CLICKHOUSE_DATABASE: z._default(z.string(), "netra"),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: intOr(10_000, 1),
};

export type RoomEnv = z.infer<z.ZodMiniObject<typeof ROOM_ENV>>;

export function checkRoomEnv(env: RoomEnv, issue: (variable: string, message: string) => void): void {
  if (env.WS_ADAPTIVE_MIN_BATCH > env.WS_ADAPTIVE_MAX_BATCH) {
    issue("WS_ADAPTIVE_MIN_BATCH", "must be <= WS_ADAPTIVE_MAX_BATCH");
  }
  if (env.WS_MAX_BATCH_SIZE < env.WS_ADAPTIVE_MIN_BATCH || env.WS_MAX_BATCH_SIZE > env.WS_ADAPTIVE_MAX_BATCH) {
    issue("WS_MAX_BATCH_SIZE", "must lie within WS_ADAPTIVE_MIN_BATCH..WS_ADAPTIVE_MAX_BATCH");
  }
}

export function roomSections(e: RoomEnv): { websocket: WebSocketBatchingConfig; rooms: RoomsConfig } {
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
    rooms: {
      tokenSecret: e.ROOM_TOKEN_SECRET,
      tokenTtlSeconds: e.ROOM_TOKEN_TTL_SECONDS,
      metricsIntervalMs: e.ROOM_METRICS_INTERVAL_MS,
      publishTimeoutMs: e.ROOM_PUBLISH_TIMEOUT_MS,
      history: { maxMessages: e.ROOM_HISTORY_MESSAGES, maxAgeMs: e.ROOM_HISTORY_MAX_AGE_MS },
    },
  };
}

/**
 * How long a batch waits for more events when BATCH_FLUSH_INTERVAL_MS is unset, chosen by
 * measurement (README, "Metrics freshness"). Synchronous inserts: 1 s, ClickHouse's guidance of
 * about one insert per second per table, half the inserts and ClickHouse CPU of 500 ms under
 * load, freshness p99 about 1.3 s. Async inserts: 500 ms, since the server's own 1 s flush comes
 * on top and 2 s is the freshness target.
 */
export function defaultFlushIntervalMs(asyncInsert: boolean): number {
  return asyncInsert ? 500 : 1000;
}

/** The event pipeline sections a room needs to write room_events (loadConfig builds the same from the same variables). */
export function roomPipelineSections(e: RoomEnv): RoomPipelineConfig {
  return {
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      requestTimeoutMs: e.CLICKHOUSE_REQUEST_TIMEOUT_MS,
    },
    batchProcessor: { maxBatchSize: e.BATCH_MAX_SIZE, flushIntervalMs: e.BATCH_FLUSH_INTERVAL_MS ?? defaultFlushIntervalMs(e.ANALYTICS_ASYNC_INSERT === 1) },
    analytics: {
      maxQueueEvents: e.ANALYTICS_MAX_QUEUE_EVENTS,
      maxBatchBytes: e.ANALYTICS_MAX_BATCH_BYTES,
      maxAttempts: e.ANALYTICS_MAX_ATTEMPTS,
      retryBaseMs: e.ANALYTICS_RETRY_BASE_MS,
      retryMaxMs: e.ANALYTICS_RETRY_MAX_MS,
      asyncInsert: e.ANALYTICS_ASYNC_INSERT === 1,
    },
  };
}

export interface RoomPipelineConfig {
  clickhouse: ClickHouseConfig;
  batchProcessor: BatchProcessorConfig;
  analytics: Pick<AnalyticsConfig, "maxQueueEvents" | "maxBatchBytes" | "maxAttempts" | "retryBaseMs" | "retryMaxMs" | "asyncInsert">;
}


/** The config sections a room uses. */
export type RoomAppConfig = DeepReadonly<{ websocket: WebSocketBatchingConfig; rooms: RoomsConfig } & RoomPipelineConfig>;

const RoomEnvSchema = z.object(ROOM_ENV).check(
  z.superRefine((env, ctx) => {
    checkRoomEnv(env, (variable, message) => ctx.addIssue({ code: "custom", path: [variable], message, input: env }));
  }),
);

/**
 * The WebSocket batching and room-auth sections alone, for a room (it needs none of
 * the Worker's database or cache settings). Same variables,
 * defaults and errors as loadConfig.
 *
 * @example
 * loadRoomConfig({ WS_MAX_WAIT_MS: "50" }).websocket.maxWaitMs; // 50
 */
export function loadRoomConfig(env: Readonly<Record<string, unknown>>): RoomAppConfig {
  const { values, issues } = normalise(env, Object.keys(ROOM_ENV));
  if (issues.length > 0) throw new ConfigError(issues);
  const parsed = z.safeParse(RoomEnvSchema, values);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "env"), message: issue.message })),
    );
  }
  return deepFreeze({ ...roomSections(parsed.data), ...roomPipelineSections(parsed.data) });
}

