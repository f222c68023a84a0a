/**
 * Per-isolate wiring, the one place it happens: config -> Upstash client -> tiered
 * cache -> query optimizer -> stores and key verifier, plus the rate limits, the
 * CORS policy and the key-usage throttle. Built once per config object
 * (configFor(env) hands every request of an isolate the same one) and reused, so
 * L1, the tag table, single-flight, query stats, the key cache and the limiters'
 * leases are shared by the isolate's requests; middleware/services.ts puts them on
 * `c.var.services`. Nothing here holds a request: request-scoped waitUntil travels
 * in the ReadContext each call receives.
 */
import { apiKeyStore } from "../shared/api/store/api-keys.ts";
import { agentStateStore } from "../shared/api/store/agent-states.ts";
import { auditLogStore } from "../shared/api/store/audit-logs.ts";
import { userStore } from "../shared/api/store/users.ts";
import { createKeyVerifier, type KeyVerifier } from "../shared/api/key-verifier.ts";
import { createUsageThrottle, type UsageThrottle } from "../shared/api/key-usage.ts";
import { cacheOptionsFromConfig, createTieredCache, upstashCacheStore, type TieredCache } from "../shared/cache/index.ts";
import { upstashRedis } from "../shared/cache/upstash-client.ts";
import type { MiddlewareHandler } from "hono";
import type { AppConfig } from "../shared/config.ts";
import { createNeonExecutor } from "../shared/db/executor.ts";
import { createQueryOptimizer } from "../shared/db/query-optimizer.ts";
import { queryPolicyFromConfig } from "../shared/db/query-policy.ts";
import type { QueryObserver, QueryOptimizer } from "../shared/db/query-types.ts";
import type { ClickHouseClient } from "@clickhouse/client-web";
import { clickhouse } from "../shared/analytics/clickhouse-client.ts";
import type { ClickHouseReader } from "../shared/analytics/ops-metrics.ts";
import type { EventSink } from "../shared/analytics/event-sink.ts";
import { postgresRunStore, type RunStore } from "../shared/db/advisor/store.ts";
import type { SessionExecutor } from "../shared/db/advisor/types.ts";
import { neonSql, type NeonSql } from "../shared/db/neon-client.ts";
import type { NotificationChannel } from "../shared/monitoring/channels/types.ts";
import { clickHouseReader } from "../shared/monitoring/clickhouse-source.ts";
import { alertStoreFromConfig, channelsFromConfig, metricSourceFromConfig } from "../shared/monitoring/from-config.ts";
import type { MetricSource } from "../shared/monitoring/metrics.ts";
import type { AlertStateStore } from "../shared/monitoring/state-store.ts";
import { analyticsFor, queryObserverFor } from "./analytics.ts";
import { configFor } from "./config.ts";
import type { Env } from "./env.ts";
import { logInfo } from "./log.ts";
import { createBodyLimit } from "./middleware/body-limit.ts";
import { createCors } from "./middleware/cors.ts";
import { createRateLimits, type RateLimits } from "./middleware/rate-limit.ts";

export interface Services {
  config: AppConfig;
  cache: TieredCache;
  optimizer: QueryOptimizer;
  keys: KeyVerifier;
  users: ReturnType<typeof userStore>;
  auditLogs: ReturnType<typeof auditLogStore>;
  agentStates: ReturnType<typeof agentStateStore>;
  apiKeys: ReturnType<typeof apiKeyStore>;
  /** Null when Redis is not configured. */
  rateLimits: RateLimits | null;
  /** Undefined when CORS_ALLOWED_ORIGINS is empty. */
  cors: MiddlewareHandler | undefined;
  /** Stamps a key's last_used_at at most once a minute. */
  keyUsage: UsageThrottle;
  /** BODY_MAX_BYTES, enforced before any route reads a body. */
  bodyLimit: MiddlewareHandler;
  /** The metrics pipeline's sink; undefined without ClickHouse. */
  events: EventSink | undefined;
  /** The isolate's ClickHouse client (the rollups and index-analysis jobs); undefined without ClickHouse. */
  clickhouse: ClickHouseClient | undefined;
  /** Reads the metrics store (the ops metrics route, the dashboard); undefined without ClickHouse. */
  clickhouseReader: ClickHouseReader | undefined;
  /** Postgres over Neon's HTTP driver, for statements that need no session (the cron run log). */
  sql: NeonSql;
  /** The alert rules' metrics (the alerts job); undefined without ClickHouse. */
  metricSource: MetricSource | undefined;
  /** Alert state in Redis (the alerts job, its route and the dashboard); undefined without Redis. */
  alertStore: AlertStateStore | undefined;
  /** Where alerts are sent, as MONITORING_CHANNELS declares. */
  alertChannels: NotificationChannel[];
  /** The index advisor's recorded runs, over Neon's HTTP driver (reads need no session). */
  advisorRuns: RunStore;
}

const byConfig = new WeakMap<AppConfig, Services>();

/**
 * Redis keys are namespaced by the database they cache (host, port, database
 * name; never the credentials): two deployments, or a test database next to the
 * dev one, sharing an Upstash instance can then never serve each other's rows.
 */
export function cacheKeyPrefix(databaseUrl: string): string {
  return `netra:cache:${deploymentTag(databaseUrl)}:`;
}

/** A short hash of the database's identity (host, port, name): what deployments sharing a Redis are told apart by. */
export function deploymentTag(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const identity = `${url.hostname}:${url.port}${url.pathname}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < identity.length; i++) {
    hash ^= identity.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

/**
 * Builds a fresh set (the benchmark builds two to stand for two isolates). The
 * optimizer reports each statement to the metrics pipeline (a no-op without ClickHouse).
 */
export function buildServices(config: AppConfig, observer: QueryObserver = queryObserverFor(config)): Services {
  const store =
    config.redis.url !== undefined && config.redis.token !== undefined
      ? upstashCacheStore(upstashRedis(config.redis, { raw: true }))
      : undefined;
  const cache = createTieredCache({
    store,
    logger: { warn: (message, fields) => logInfo(message, { level: "warn", ...fields }) },
    options: cacheOptionsFromConfig(config.cache, cacheKeyPrefix(config.postgres.databaseUrl)),
  });
  const optimizer = createQueryOptimizer({
    executor: createNeonExecutor(config.postgres, { statementTimeoutMs: config.query.statementTimeoutMs }),
    cache,
    policy: queryPolicyFromConfig(config),
    observer,
  });
  const apiKeys = apiKeyStore(optimizer);
  const ch = config.clickhouse.url === undefined ? undefined : clickhouse(config.clickhouse);
  const reader = ch === undefined ? undefined : clickHouseReader(ch);
  const sql = neonSql(config.postgres);
  return {
    config,
    cache,
    optimizer,
    keys: createKeyVerifier({ adminKey: config.admin.apiKey, lookup: (keyId) => apiKeys.lookup(keyId), cacheTtlMs: config.access.keyCacheTtlMs }),
    users: userStore(optimizer),
    auditLogs: auditLogStore(optimizer),
    agentStates: agentStateStore(optimizer),
    apiKeys,
    rateLimits: createRateLimits(config, deploymentTag(config.postgres.databaseUrl)),
    cors: createCors(config),
    keyUsage: createUsageThrottle(),
    bodyLimit: createBodyLimit(config.access.bodyMaxBytes),
    events: analyticsFor(config),
    clickhouse: ch,
    clickhouseReader: reader,
    sql,
    metricSource: reader === undefined ? undefined : metricSourceFromConfig(config, reader),
    alertStore: config.redis.url === undefined || config.redis.token === undefined ? undefined : alertStoreFromConfig(config),
    alertChannels: channelsFromConfig(config),
    advisorRuns: postgresRunStore(httpSession(sql)),
  };
}

/** Neon's HTTP driver as a SessionExecutor, for statements that need no session. */
function httpSession(sql: NeonSql): SessionExecutor {
  return { query: async (text, params) => ({ rows: (await sql.query(text, params)) as Record<string, unknown>[] }) };
}

/** The isolate's services for this env; throws ConfigError when the env is invalid. */
export function servicesFor(env: Env): Services {
  const config = configFor(env);
  let services = byConfig.get(config);
  if (services === undefined) {
    services = buildServices(config);
    byConfig.set(config, services);
  }
  return services;
}
