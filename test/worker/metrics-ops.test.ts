import { createClient } from "@clickhouse/client-web";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScheduled } from "../../functions/cron/scheduled.ts";
import { applyClickHouseMigrations, clickHouseExecutor } from "../../shared/analytics/migrate.ts";
import { ADMIN_KEY, apiEnv, call, createKey } from "./api-helpers.ts";

const database = `netra_test_wmetrics_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
const client = createClient({ url: env.CLICKHOUSE_URL!, clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
/** Every request's event is flushed in its own waitUntil (batch size 1), which the test waits for. */
const metricsEnv = () => apiEnv({ CLICKHOUSE_DATABASE: database, BATCH_MAX_SIZE: "1" });

beforeAll(async () => {
  await applyClickHouseMigrations(clickHouseExecutor(client), { database });
});
afterAll(async () => {
  await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await client.close();
});

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, format: "JSONEachRow" })).json<T>();
}

describe("GET /v1/ops/metrics parameters", () => {
  const bad: [string, string][] = [
    ["granularity=week", "granularity"],
    ["from=yesterday", "from"],
    ["to=2026-13-45T00:00:00Z", "to"],
    ["from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "from"],
    ["granularity=minute&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z", "from"],
    ["granularity=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from"],
    ["route=no-leading-slash", "route"],
    ["limit=5", "limit"],
  ];
  for (const [query, field] of bad) {
    it(`answers 400 problem+json naming "${field}" for ?${query}`, async () => {
      const res = await call(`/v1/ops/metrics?${query}`, { env: metricsEnv() });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.json).toMatchObject({ status: 400, code: "invalid_parameter", field, type: "urn:netra-edge:problem:invalid_parameter" });
    });
  }

  it("requires an API key with the ops scope", async () => {
    expect((await call("/v1/ops/metrics", { key: null, env: metricsEnv() })).status).toBe(401);
    const readOnly = await createKey(["read"]);
    expect((await call("/v1/ops/metrics", { key: readOnly, env: metricsEnv() })).status).toBe(403);
  });
});

describe("request events through the middleware into the rollups", () => {
  it("records route patterns, statuses and pipeline counters, and serves the series from the rollups", async () => {
    const marker = crypto.randomUUID();
    for (let i = 0; i < 3; i++) expect((await call("/health", { key: null, env: metricsEnv(), headers: { "x-request-id": `${marker}-h${i}` } })).status).toBeLessThan(600);
    expect((await call(`/no/such/path/${marker}`, { key: null, env: metricsEnv(), headers: { "x-request-id": `${marker}-404` } })).status).toBe(404);
    expect((await call("/v1/ops/metrics?granularity=week", { key: ADMIN_KEY, env: metricsEnv(), headers: { "x-request-id": `${marker}-400` } })).status).toBe(400);

    const stored = await rows<{ request_id: string; route: string; method: string; status: number }>(
      `SELECT request_id, route, method, status FROM ${database}.request_events WHERE startsWith(request_id, '${marker}') ORDER BY request_id`,
    );
    expect(stored.map(({ route, status }) => ({ route, status: Number(status) }))).toEqual([
      { route: "/v1/ops/metrics", status: 400 },
      { route: "(unmatched)", status: 404 },
      ...[0, 1, 2].map(() => ({ route: "/health", status: expect.any(Number) })),
    ]);
    const series = await call("/v1/ops/metrics?granularity=minute&route=/health", { env: metricsEnv() });
    expect(series.status).toBe(200);
    const points = series.json.series as { count: number; p50: number | null }[];
    expect(points.reduce((n, p) => n + p.count, 0)).toBe(3);
    expect(points.every((p) => p.p50 !== null && p.p50 >= 0)).toBe(true);

    const pipeline = await call("/v1/ops/metrics/pipeline", { env: metricsEnv() });
    expect(pipeline.json).toMatchObject({ configured: true });
    expect(Number(pipeline.json.stored)).toBeGreaterThanOrEqual(5);
    expect(pipeline.json.dropped).toBe(0);
  });
});

describe("the rollups cron job inside workerd", () => {
  it("runs against the real services and records its report", async () => {
    const result = await runScheduled("*/5 * * * *", Date.now(), metricsEnv());
    expect(result).toMatchObject({ job: "rollups", status: "ok" });
    const detail = result!.detail as { backfill: { view: string; state?: string }[]; mismatches: number; retention: { table: string }[]; audit?: { copied?: number } };
    expect(detail.backfill.map((b) => b.state)).toEqual(detail.backfill.map(() => "complete"));
    expect(detail.mismatches).toBe(0);
    expect(detail.retention.map((r) => r.table)).toContain("request_events");
    expect(detail.audit).toMatchObject({ copied: expect.any(Number) });
  });
});
