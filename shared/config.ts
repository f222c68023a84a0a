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
}

export interface QueryConfig {
  slowQueryThresholdMs: number;
  statementTimeoutMs: number;
}

export interface BatchProcessorConfig {
  maxBatchSize: number;
  flushIntervalMs: number;
}

export interface WebSocketBatchingConfig {
  maxBatchSize: number;
  maxWaitMs: number;
  priorityThreshold: number;
  adaptiveMinBatch: number;
  adaptiveMaxBatch: number;
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

export interface Config {
  cache: CacheConfig;
  query: QueryConfig;
  batchProcessor: BatchProcessorConfig;
  websocket: WebSocketBatchingConfig;
  health: HealthConfig;
  postgres: PostgresConfig;
  redis: RedisConfig;
  clickhouse: ClickHouseConfig;
  partykit: PartyKitConfig;
  admin: AdminConfig;
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

const EnvSchema = z
  .object({
    CACHE_MAX_ENTRIES: intOr(1000, 1),
    CACHE_DEFAULT_TTL_SECONDS: intOr(300, 1),
    CACHE_TTL_USER_DATA_SECONDS: intOr(60, 1),
    CACHE_TTL_CONFIG_DATA_SECONDS: intOr(600, 1),
    SLOW_QUERY_THRESHOLD_MS: intOr(1000, 1),
    STATEMENT_TIMEOUT_MS: intOr(30_000, 1),
    BATCH_MAX_SIZE: intOr(100, 1),
    BATCH_FLUSH_INTERVAL_MS: intOr(1000, 1),
    WS_MAX_BATCH_SIZE: intOr(10, 1),
    WS_MAX_WAIT_MS: intOr(100, 0),
    WS_PRIORITY_THRESHOLD: intOr(3, 0),
    WS_ADAPTIVE_MIN_BATCH: intOr(2, 1),
    WS_ADAPTIVE_MAX_BATCH: intOr(50, 1),
    HEALTH_CHECK_TIMEOUT_MS: intOr(1500, 1, 60_000),
    DATABASE_URL: z.pipe(required, urlWithScheme(["postgres:", "postgresql:"])),
    NEON_LOCAL_ENDPOINT: z.optional(hostPort),
    DB_POOL_MAX: intOr(20, 1),
    DB_CONNECTION_TIMEOUT_MS: intOr(30_000, 1),
    UPSTASH_REDIS_REST_URL: z.optional(urlWithScheme(["http:", "https:"])),
    UPSTASH_REDIS_REST_TOKEN: z.optional(z.string()),
    UPSTASH_REQUEST_TIMEOUT_MS: intOr(1000, 1),
    UPSTASH_RETRIES: intOr(1, 0, 10),
    CLICKHOUSE_URL: z.optional(urlWithScheme(["http:", "https:"])),
    CLICKHOUSE_USER: z._default(z.string(), "default"),
    CLICKHOUSE_PASSWORD: z._default(z.string(), ""),
    CLICKHOUSE_DATABASE: z._default(z.string(), "netra"),
    CLICKHOUSE_REQUEST_TIMEOUT_MS: intOr(10_000, 1),
    PARTYKIT_HOST: z.optional(partyKitHost),
    API_ADMIN_KEY: z.optional(z.string()),
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
      if (env.WS_ADAPTIVE_MIN_BATCH > env.WS_ADAPTIVE_MAX_BATCH) {
        issue("WS_ADAPTIVE_MIN_BATCH", "must be <= WS_ADAPTIVE_MAX_BATCH");
      }
      if (env.WS_MAX_BATCH_SIZE < env.WS_ADAPTIVE_MIN_BATCH || env.WS_MAX_BATCH_SIZE > env.WS_ADAPTIVE_MAX_BATCH) {
        issue("WS_MAX_BATCH_SIZE", "must lie within WS_ADAPTIVE_MIN_BATCH..WS_ADAPTIVE_MAX_BATCH");
      }
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
    cache: {
      maxEntries: e.CACHE_MAX_ENTRIES,
      defaultTtlSeconds: e.CACHE_DEFAULT_TTL_SECONDS,
      userDataTtlSeconds: e.CACHE_TTL_USER_DATA_SECONDS,
      configDataTtlSeconds: e.CACHE_TTL_CONFIG_DATA_SECONDS,
    },
    query: { slowQueryThresholdMs: e.SLOW_QUERY_THRESHOLD_MS, statementTimeoutMs: e.STATEMENT_TIMEOUT_MS },
    batchProcessor: { maxBatchSize: e.BATCH_MAX_SIZE, flushIntervalMs: e.BATCH_FLUSH_INTERVAL_MS },
    websocket: {
      maxBatchSize: e.WS_MAX_BATCH_SIZE,
      maxWaitMs: e.WS_MAX_WAIT_MS,
      priorityThreshold: e.WS_PRIORITY_THRESHOLD,
      adaptiveMinBatch: e.WS_ADAPTIVE_MIN_BATCH,
      adaptiveMaxBatch: e.WS_ADAPTIVE_MAX_BATCH,
    },
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
  });
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
