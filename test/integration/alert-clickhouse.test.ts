/**
 * The monitor's metric queries against the real ClickHouse engine (local
 * endpoint), on the pipeline's own schema in a throwaway database: known events
 * in, the values the alert rules see out, from the minute and the hour rollups.
 */
import { randomBytes } from "node:crypto";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { migrateClickHouse } from "../../scripts/migrate.ts";
import { clickHouseMetricSource, clickHouseReader } from "../../shared/monitoring/clickhouse-source.ts";
import type { MetricSource } from "../../shared/monitoring/metrics.ts";
import { dashboardSeries, rangeWindow } from "../../shared/monitoring/dashboard-series.ts";
import { metricsSeries, parseMetricsQuery, type Granularity, type MetricsPoint } from "../../shared/analytics/ops-metrics.ts";

const url = process.env.CLICKHOUSE_URL ?? localUrls().CLICKHOUSE_URL;
const database = `netra_test_alerts_${randomBytes(5).toString("hex")}`;
const HOUR = 3_600_000;
/** The start of the previous hour: recent enough for every TTL, aligned for the hourly rollup. */
const base = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
const at = (offsetMs: number) => new Date(base + offsetMs);
let client: ClickHouseClient;
let source: MetricSource;

beforeAll(async () => {
  await migrateClickHouse({ url, database }, { log: () => undefined });
  client = createClient({ url, database, clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
  const seconds = base / 1000;
  // 3000 requests over 5 minutes: every 20th a 500, durations 1..100 ms, cache tiers 60% l1, 20% l2, 10% miss, 10% bypass.
  await client.command({
    query: `INSERT INTO ${database}.request_events (ts, request_id, route, method, status, duration_ms, cache_tier, db_ms, response_bytes, isolate_id, colo, country)
SELECT toDateTime64(${seconds} + intDiv(number, 10), 3), toString(number), if(number % 3 = 0, '/v1/users/:id', '/v1/audit-logs'), 'GET',
  if(number % 20 = 0, 500, 200), toFloat64(number % 100 + 1),
  multiIf(number % 10 < 6, 'l1', number % 10 < 8, 'l2', number % 10 < 9, 'miss', 'bypass'), 0, 100, 'iso-1', '', ''
FROM numbers(3000)`,
  });
  // 12 slow queries out of 240 in the first 5 minutes.
  await client.command({
    query: `INSERT INTO ${database}.query_events (ts, fingerprint, statement, kind, duration_ms, db_ms, rows, tier, slow, error, request_id, isolate_id)
SELECT toDateTime64(${seconds} + number, 3), 'fp' || toString(number % 4), 'SELECT 1', 'select', 1, 1, 1, 'miss', number % 20 = 0, '', '', ''
FROM numbers(240)`,
  });
  // 100 flushes of 10 messages (queue wait 1..100 ms) and 4 drops of 5 messages: drop rate 20 / 1020.
  await client.command({
    query: `INSERT INTO ${database}.room_events (ts, party, room, kind, connections, frames, batch_size, queue_wait_ms, dropped)
SELECT toDateTime64(${seconds} + number, 3), 'main', 'r1', if(number < 100, 'flush', 'drop'), 3,
  if(number < 100, 3, 0), if(number < 100, 10, 0), if(number < 100, toFloat64(number + 1), 0), if(number < 100, 0, 5)
FROM numbers(104)`,
  });
  source = clickHouseMetricSource(clickHouseReader(client), database);
});

afterAll(async () => {
  await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await client?.close();
});

const fiveMinutes = { from: at(0), to: at(300_000) };
const wholeHour = { from: at(0), to: at(HOUR) };

describe("metric source over the ClickHouse rollups", () => {
  it("computes request rate, error rate and cache hit ratio from the minute rollup", async () => {
    expect(await source.sample({ metric: "request_rate", ...fiveMinutes })).toEqual({ value: 10, samples: 3000 });
    expect(await source.sample({ metric: "error_rate", ...fiveMinutes })).toEqual({ value: 0.05, samples: 3000 });
    const hits = await source.sample({ metric: "cache_hit_ratio", ...fiveMinutes });
    expect(hits.samples).toBe(2700);
    expect(hits.value).toBeCloseTo(0.8 / 0.9, 10);
  });

  it("merges latency quantiles within t-digest error", async () => {
    const p50 = await source.sample({ metric: "latency_p50_ms", ...fiveMinutes });
    const p95 = await source.sample({ metric: "latency_p95_ms", ...fiveMinutes });
    const p99 = await source.sample({ metric: "latency_p99_ms", ...fiveMinutes });
    expect(p50.value!).toBeGreaterThan(45);
    expect(p50.value!).toBeLessThan(56);
    expect(p95.value!).toBeGreaterThan(90);
    expect(p95.value!).toBeLessThanOrEqual(100);
    expect(p99.value!).toBeGreaterThan(p95.value!);
  });

  it("filters by route", async () => {
    expect(await source.sample({ metric: "request_rate", route: "/v1/users/:id", ...fiveMinutes })).toEqual({ value: 1000 / 300, samples: 1000 });
  });

  it("gives the same answer from the hour rollup for an hour-aligned window", async () => {
    expect(await source.sample({ metric: "error_rate", ...wholeHour })).toEqual({ value: 0.05, samples: 3000 });
    expect((await source.sample({ metric: "slow_queries", ...wholeHour })).value).toBe(12);
    const drops = await source.sample({ metric: "ws_drop_rate", ...wholeHour });
    expect(drops.samples).toBe(1020);
    expect(drops.value).toBeCloseTo(20 / 1020, 10);
  });

  it("counts slow queries, WebSocket drops and queue wait over a short window", async () => {
    expect(await source.sample({ metric: "slow_queries", ...fiveMinutes })).toEqual({ value: 12, samples: 240 });
    const drops = await source.sample({ metric: "ws_drop_rate", ...fiveMinutes });
    expect(drops.samples).toBe(1020);
    expect(drops.value).toBeCloseTo(20 / 1020, 10);
    const wait = await source.sample({ metric: "ws_queue_wait_ms", ...fiveMinutes });
    expect(wait.samples).toBe(100);
    expect(wait.value!).toBeGreaterThan(90);
  });

  it("returns a per-bucket series, oldest first", async () => {
    const series = await source.series({ metric: "request_rate", ...fiveMinutes, stepSeconds: 60 });
    expect(series.map((p) => [p.t, p.value, p.samples])).toEqual([0, 1, 2, 3, 4].map((i) => [base + i * 60_000, 10, 600]));
  });

  it("reports no data for an empty window and for metrics ClickHouse does not hold", async () => {
    expect(await source.sample({ metric: "error_rate", from: at(-HOUR), to: at(-HOUR + 300_000) })).toEqual({ value: null, samples: 0 });
    expect(await source.sample({ metric: "ingestion_drops", ...fiveMinutes })).toEqual({ value: null, samples: 0 });
  });
});

describe("dashboard series over the same rollups", () => {
  it("buckets every panel densely over the window", async () => {
    const window = rangeWindow("1h", base + 30 * 60_000);
    const data = await dashboardSeries(clickHouseReader(client), database, window);
    expect(data.t).toHaveLength(60);
    const first = data.t.indexOf(base / 1000);
    expect(data.requests.count.slice(first, first + 6)).toEqual([600, 600, 600, 600, 600, 0]);
    expect(data.requests.errorRate[first]).toBe(0.05);
    expect(data.requests.rate[first]).toBe(10);
    expect(data.requests.p50[first + 5]).toBeNull();
    expect(data.requests.hitRatio[first]).toBeCloseTo(0.8 / 0.9, 10);
    expect(data.requests.l1[first]).toBeCloseTo(0.6 / 0.9, 10);
    expect(data.totals).toMatchObject({ requests: 3000, slowQueries: 12, messages: 1000 });
    expect(data.websocket.messagesPerFrame.find((v) => v !== null)).toBeCloseTo(10 / 3, 10);
  });

  it("reads the hourly rollups for hour-wide steps", async () => {
    const data = await dashboardSeries(clickHouseReader(client), database, rangeWindow("7d", base + 30 * 60_000));
    const i = data.t.indexOf(base / 1000);
    expect(data.requests.count[i]).toBe(3000);
    expect(data.queries.slow[i]).toBe(12);
    expect(data.websocket.dropRate[i]).toBeCloseTo(20 / 1020, 10);
  });
});

describe("ops metrics series (GET /v1/ops/metrics) over the same rollups", () => {
  const query = (granularity: Granularity, route?: string) => {
    const parsed = parseMetricsQuery({ granularity, from: String(base), to: String(base + HOUR), ...(route === undefined ? {} : { route }) }, base + HOUR);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.query;
  };

  it.each(["minute", "hour", "day"] as const)("answers every route from the totals and one route from the per-route rollup (%s)", async (granularity) => {
    const reader = clickHouseReader(client);
    const all = await metricsSeries(reader, database, query(granularity));
    const users = await metricsSeries(reader, database, query(granularity, "/v1/users/:id"));
    const audit = await metricsSeries(reader, database, query(granularity, "/v1/audit-logs"));
    const sum = (points: MetricsPoint[], key: "count" | "errors") => points.reduce((n, p) => n + p[key], 0);
    expect(sum(all, "count")).toBe(3000);
    expect(sum(users, "count")).toBe(1000);
    expect(sum(audit, "count")).toBe(2000);
    expect(sum(all, "errors")).toBe(150);
    expect(sum(users, "errors") + sum(audit, "errors")).toBe(150);
    if (granularity === "minute") expect(all.map((p) => p.count)).toEqual([600, 600, 600, 600, 600]);
    // Durations are 1..100 ms evenly over every route: the all-routes median is near 50.5.
    const merged = all.find((p) => p.count > 0)!;
    if (granularity !== "minute") expect(Math.abs(merged.p50! - 50.5)).toBeLessThanOrEqual(2.5);
    expect(merged.hitRatio).toBeCloseTo(0.8 / 0.9, 3);
  });

  it("reads no per-route rows for an all-routes series: the totals answer alone", async () => {
    // Rows only in the per-route rollup would show in a per-route series but never in the all-routes one.
    await client.command({ query: `INSERT INTO ${database}.request_rollup_hour (route, method, hour, requests) VALUES ('/ghost', 'GET', toDateTime(${base / 1000}), 7)` });
    const reader = clickHouseReader(client);
    expect((await metricsSeries(reader, database, query("hour", "/ghost"))).map((p) => p.count)).toEqual([7]);
    expect((await metricsSeries(reader, database, query("hour"))).map((p) => p.count)).toEqual([3000]);
  });
});

// Last: its rows would change the totals the tests above count.
describe("dashboard arrival lag", () => {
  it("draws the arrival lag as one p95 over every table's rows of a step", async () => {
    // Ten minutes in: 90 request rows stored 100 ms after their request, 10 query rows 10 s after theirs.
    const stored = (base + 10 * 60_000 + 5_000) / 1000;
    await client.command({
      query: `INSERT INTO ${database}.request_events (ts, request_id, route, method, status, duration_ms, cache_tier, db_ms, response_bytes, isolate_id, colo, country, inserted_at)
SELECT toDateTime64(${stored} - 0.1, 3), 'lag' || toString(number), '/lag', 'GET', 200, 1, '', 0, 0, 'lag', '', '', toDateTime64(${stored}, 3) FROM numbers(90)`,
    });
    await client.command({
      query: `INSERT INTO ${database}.query_events (ts, fingerprint, statement, kind, duration_ms, db_ms, rows, tier, slow, error, request_id, isolate_id, inserted_at)
SELECT toDateTime64(${stored} - 10, 3), 'lag', 'SELECT 1', 'select', 1, 1, 1, 'miss', 0, '', '', 'lag', toDateTime64(${stored}, 3) FROM numbers(10)`,
    });
    const data = await dashboardSeries(clickHouseReader(client), database, rangeWindow("1h", base + 30 * 60_000));
    const i = data.t.indexOf(base / 1000 + 600);
    expect(data.ingestion.tables.request_events?.[i]).toBe(90);
    expect(data.ingestion.tables.query_events?.[i]).toBe(10);
    // The 95th percentile of the 100 rows is a 10 s one; a volume-weighted mix of the tables' p95s would say 1.09 s.
    expect(data.ingestion.lagP95[i]).toBe(10_000);
  });
});
