/**
 * The monitor's I/O built from the app config: Redis (Upstash REST) for state,
 * ClickHouse for metrics, channels as declared. Kept apart from the core so the
 * core stays testable with fakes; these are what the Worker uses.
 */
import { clickhouse } from "../analytics/clickhouse-client.ts";
import { upstashRedis } from "../cache/upstash-client.ts";
import type { AppConfig } from "../config.ts";
import { buildChannels } from "./channels/config.ts";
import type { NotificationChannel } from "./channels/types.ts";
import { clickHouseMetricSource, clickHouseReader, type ClickHouseReader } from "./clickhouse-source.ts";
import { ingestionDropSource, withIngestionDrops } from "./ingestion-drops.ts";
import type { MetricSource } from "./metrics.ts";
import { redisAlertStore, type AlertStateStore } from "./state-store.ts";

/** Throws NotConfiguredError when Redis is not configured. */
export function alertStoreFromConfig(config: AppConfig): AlertStateStore {
  return redisAlertStore(upstashRedis(config.redis, { raw: true }), { prefix: config.monitoring.keyPrefix, historyLimit: config.monitoring.historyLimit });
}

/** Where the Worker counts dropped metrics events and the ingestion_drops metric reads them. */
export function dropCounterOptions(config: AppConfig): { prefix: string; ttlSeconds: number } {
  return { prefix: config.monitoring.keyPrefix, ttlSeconds: config.analytics.dropCountTtlSeconds };
}

/**
 * ClickHouse rollups for every metric, except ingestion_drops, read from the Redis
 * minute counters (when Redis is configured) so it stays visible while ClickHouse is down.
 * Throws NotConfiguredError when ClickHouse is not configured.
 */
export function metricSourceFromConfig(config: AppConfig, reader: ClickHouseReader = clickHouseReader(clickhouse(config.clickhouse))): MetricSource {
  const rollups = clickHouseMetricSource(reader, config.clickhouse.database);
  if (config.redis.url === undefined) return rollups;
  return withIngestionDrops(rollups, ingestionDropSource(upstashRedis(config.redis, { raw: true }), dropCounterOptions(config)));
}

export function channelsFromConfig(config: AppConfig, log?: (line: string) => void): NotificationChannel[] {
  return buildChannels(config.monitoring.channels, {
    timeoutMs: config.monitoring.webhookTimeoutMs,
    retries: config.monitoring.webhookRetries,
    ...(log ? { log } : {}),
  });
}
