/**
 * Ops metrics over HTTP (scope "ops"):
 * - GET /v1/ops/metrics?from=&to=&route=&granularity=minute|hour|day  request series from the rollups
 * - GET /v1/ops/metrics/pipeline  this isolate's pipeline counters (events in / stored / dropped)
 */
import { Hono } from "hono";
import { clickhouse } from "../../shared/analytics/clickhouse-client.ts";
import { metricsSeries, parseMetricsQuery, type ClickHouseReader } from "../../shared/analytics/ops-metrics.ts";
import { analyticsFor, isolateId } from "../analytics.ts";
import type { ApiEnv } from "../api-env.ts";
import { configFor } from "../config.ts";
import { logError } from "../log.ts";
import { requireScope } from "../middleware/auth.ts";
import { PROBLEM_CONTENT_TYPE, problem, problemType } from "../middleware/problem.ts";

const NO_STORE = { "cache-control": "no-store" };

export const opsMetricsRoutes = new Hono<ApiEnv>()
  .use("/v1/ops/metrics", requireScope("ops"))
  .use("/v1/ops/metrics/*", requireScope("ops"))
  .get("/v1/ops/metrics", async (c) => {
    const parsed = parseMetricsQuery(c.req.query(), Date.now());
    if (!parsed.ok) {
      return c.json(
        // problem() plus `field`, so a client can point at the offending input.
        { type: problemType("invalid_parameter"), title: "Bad Request", status: 400, detail: `${parsed.field}: ${parsed.message}`,
          instance: new URL(c.req.url).pathname, code: "invalid_parameter", field: parsed.field, requestId: c.get("requestId") },
        400,
        { "content-type": PROBLEM_CONTENT_TYPE },
      );
    }
    const config = configFor(c.env);
    if (config.clickhouse.url === undefined) {
      return problem(c, { status: 503, code: "metrics_not_configured", title: "Service Unavailable", detail: "ClickHouse is not configured (CLICKHOUSE_URL)" });
    }
    const client = clickhouse(config.clickhouse);
    const reader: ClickHouseReader = {
      rows: async <T>(sql: string, params: Record<string, unknown>) => (await client.query({ query: sql, query_params: params, format: "JSONEachRow" })).json<T>(),
    };
    try {
      const series = await metricsSeries(reader, config.clickhouse.database, parsed.query);
      const { granularity, from, to, route } = parsed.query;
      return c.json({ granularity, from: new Date(from).toISOString(), to: new Date(to).toISOString(), route: route ?? null, series }, 200, NO_STORE);
    } catch (error) {
      logError("ops metrics query failed", error, { requestId: c.get("requestId") });
      return problem(c, { status: 503, code: "metrics_unavailable", title: "Service Unavailable", detail: "The metrics store did not answer; try again shortly" });
    }
  })
  .get("/v1/ops/metrics/pipeline", (c) => {
    const sink = analyticsFor(configFor(c.env));
    return c.json({ isolate: isolateId(), configured: sink !== undefined, ...(sink?.stats() ?? {}) }, 200, NO_STORE);
  });
