/**
 * Ops metrics over HTTP (scope "ops"):
 * - GET /v1/ops/metrics?from=&to=&route=&granularity=minute|hour|day  request series from the rollups
 * - GET /v1/ops/metrics/pipeline  this isolate's pipeline counters (events in / stored / dropped)
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { metricsSeries, parseMetricsQuery } from "../../../shared/analytics/ops-metrics.ts";
import { MetricsQueryParams, MetricsSeries, PipelineStats } from "../../../shared/api/schemas/ops-metrics.ts";
import { isolateId } from "../../analytics.ts";
import type { AppEnv } from "../../env.ts";
import { requireServices } from "../../middleware/services.ts";
import { logError } from "../../log.ts";
import { ProblemError } from "../../../shared/api/problem.ts";
import { jsonContent, problemCodes, rejectAs, scopedRoute } from "./define.ts";

const NO_STORE = { "cache-control": "no-store" };

const series = scopedRoute("ops", {
  method: "get",
  path: "/ops/metrics",
  operationId: "getOpsMetrics",
  tags: ["ops"],
  summary: "Request series (count, errors, latency percentiles, cache hit ratio) from the rollups",
  request: { query: MetricsQueryParams },
  responses: { 200: jsonContent(MetricsSeries, "The series"), ...problemCodes("invalid_parameter", "metrics_not_configured", "metrics_unavailable") },
});

const pipeline = scopedRoute("ops", {
  method: "get",
  path: "/ops/metrics/pipeline",
  operationId: "getOpsMetricsPipeline",
  tags: ["ops"],
  summary: "This isolate's metrics pipeline counters (events in, stored, dropped)",
  responses: { 200: jsonContent(PipelineStats, "The counters") },
});

/** The problem names the offending parameter in `field`, so a client can point at it. */
const invalidParameter = rejectAs("invalid_parameter", { field: true, detail: (issue) => `${issue.path}: ${issue.message}` });

export const opsMetricsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    series,
    async (c) => {
      const parsed = parseMetricsQuery(c.req.valid("query"), Date.now());
      if (!parsed.ok) {
        throw new ProblemError({ status: 400, code: "invalid_parameter", title: "Bad Request", detail: `${parsed.field}: ${parsed.message}`, field: parsed.field });
      }
      const { config, clickhouseReader: reader } = requireServices(c);
      if (reader === undefined) {
        throw new ProblemError({ status: 503, code: "metrics_not_configured", title: "Service Unavailable", detail: "ClickHouse is not configured (CLICKHOUSE_URL)" });
      }
      try {
        const points = await metricsSeries(reader, config.clickhouse.database, parsed.query);
        const { granularity, from, to, route } = parsed.query;
        return c.json({ granularity, from: new Date(from).toISOString(), to: new Date(to).toISOString(), route: route ?? null, series: points }, 200, NO_STORE);
      } catch (error) {
        logError("ops metrics query failed", error, { requestId: c.get("requestId") });
        throw new ProblemError({ status: 503, code: "metrics_unavailable", title: "Service Unavailable", detail: "The metrics store did not answer; try again shortly" });
      }
    },
    invalidParameter,
  )
  .openapi(pipeline, (c) => {
    const sink = requireServices(c).events;
    return c.json({ isolate: isolateId(), configured: sink !== undefined, ...(sink?.stats() ?? {}) }, 200, NO_STORE);
  });
