/**
 * Ingestion drops visible to the alerts while ClickHouse is down: the Worker's event
 * sink (functions/analytics.ts) pointed at a ClickHouse that refuses connections drops
 * its events, counts them per minute in real Redis (local Upstash REST), and the
 * `ingestion-drops` rule, reading through metricSourceFromConfig, fires on them.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "@upstash/redis";
import { afterAll, describe, expect, it } from "vitest";
import { analyticsFor } from "../../functions/analytics.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { loadConfig } from "../../shared/config.ts";
import { evaluateAlerts } from "../../shared/monitoring/engine.ts";
import { metricSourceFromConfig } from "../../shared/monitoring/from-config.ts";
import { ingestionDropKey, ingestionDropSource, recordIngestionDrops } from "../../shared/monitoring/ingestion-drops.ts";
import { DEFAULT_RULES } from "../../shared/monitoring/rules.ts";
import { redisAlertStore } from "../../shared/monitoring/state-store.ts";
import { recordingChannel } from "../unit/alert-fakes.ts";

const urls = localUrls();
const url = process.env.UPSTASH_REDIS_REST_URL ?? urls.UPSTASH_REDIS_REST_URL;
const token = process.env.UPSTASH_REDIS_REST_TOKEN ?? urls.UPSTASH_REDIS_REST_TOKEN;
const PREFIX = `test:wiring:${randomUUID()}:`;
const redis = new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false });
const MINUTE = 60_000;

/** A loopback port nothing listens on: ClickHouse "down" (connection refused at once). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("ingestion drop counters in Redis", () => {
  it("adds per minute across writers, expires, and sums a window", async () => {
    const options = { prefix: `${PREFIX}unit:`, ttlSeconds: 300 };
    const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
    await Promise.all([recordIngestionDrops(redis, options, 5, t0), recordIngestionDrops(redis, options, 2, t0 + 10_000), recordIngestionDrops(redis, options, 4, t0 + 2 * MINUTE)]);
    expect(await redis.get(ingestionDropKey(options.prefix, t0))).toBe("7");
    const ttl = await redis.ttl(ingestionDropKey(options.prefix, t0));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    const source = ingestionDropSource(redis, options);
    expect(await source.sample({ metric: "ingestion_drops", from: new Date(t0), to: new Date(t0 + 3 * MINUTE) })).toEqual({ value: 11, samples: 3 });
    expect(await source.sample({ metric: "ingestion_drops", from: new Date(t0 + MINUTE), to: new Date(t0 + 2 * MINUTE) })).toEqual({ value: 0, samples: 1 });
    const series = await source.series({ metric: "ingestion_drops", from: new Date(t0), to: new Date(t0 + 3 * MINUTE), stepSeconds: 60 });
    expect(series.map((p) => p.value)).toEqual([7, 0, 4]);
  });

  it("the Worker's sink counts its drops in Redis while ClickHouse is down, and the ingestion-drops rule fires", async () => {
    const prefix = `${PREFIX}e2e:`;
    const config = loadConfig({
      DATABASE_URL: "postgres://u:p@127.0.0.1:1/unused",
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: token,
      CLICKHOUSE_URL: `http://127.0.0.1:${await deadPort()}`,
      CLICKHOUSE_REQUEST_TIMEOUT_MS: "2000",
      ANALYTICS_MAX_ATTEMPTS: "1",
      ANALYTICS_MAX_QUEUE_EVENTS: "100",
      BATCH_MAX_SIZE: "100",
      ALERT_KEY_PREFIX: prefix,
    });
    const sink = analyticsFor(config)!;
    for (let i = 0; i < 150; i++) {
      sink.record("request_events", { ts: Date.now(), request_id: `r${i}`, route: "/ping", method: "GET", status: 200, duration_ms: 1, cache_tier: "", db_ms: 0, response_bytes: 0, isolate_id: "i", colo: "", country: "" });
    }
    await sink.flush();
    expect(sink.stats().dropped).toBe(150);

    const now = new Date(Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE);
    const source = metricSourceFromConfig(config);
    expect(await source.sample({ metric: "ingestion_drops", from: new Date(now.getTime() - 5 * MINUTE), to: now })).toMatchObject({ value: 150 });
    // The ClickHouse-backed metrics fail meanwhile: only the drop metric still answers.
    await expect(source.sample({ metric: "error_rate", from: new Date(now.getTime() - 5 * MINUTE), to: now })).rejects.toThrow();

    const rule = DEFAULT_RULES.find((r) => r.id === "ingestion-drops")!;
    const channel = recordingChannel();
    const report = await evaluateAlerts({ rules: [rule], source, store: redisAlertStore(redis, { prefix }), channels: [channel], now, defaultCooldownSeconds: 0 });
    expect(report.outcomes[0]).toMatchObject({ ruleId: "ingestion-drops", status: "firing", value: 150, notified: "firing" });
    expect(channel.sent.map((e) => e.kind)).toEqual(["firing"]);
  });
});
