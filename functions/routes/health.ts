/** GET /health: every dependency probed concurrently, each bounded by the health timeout. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { HealthReport } from "../../shared/api/schemas/health.ts";
import { dependencyProbes } from "../../shared/health/dependency-probes.ts";
import { runHealthChecks } from "../../shared/health/index.ts";
import { HEALTH_ROOM, roomStub } from "../../rooms/binding.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../env.ts";
import { jsonContent, publicRoute } from "./v1/define.ts";

const health = publicRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["meta"],
  summary: "Dependency health (Postgres, Redis, ClickHouse, rooms)",
  responses: {
    200: jsonContent(HealthReport, "Every dependency answered"),
    503: jsonContent(HealthReport, "Some dependency is down (status degraded or down)"),
  },
});

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(health, async (c) => {
  const config = configFor(c.env);
  const rooms = roomStub(c.env, HEALTH_ROOM);
  const report = await runHealthChecks(dependencyProbes(config, rooms === undefined ? {} : { rooms }), {
    timeoutMs: config.health.checkTimeoutMs,
    now: () => performance.now(),
  });
  return report.status === "ok" ? c.json(report, 200, { "cache-control": "no-store" }) : c.json(report, 503, { "cache-control": "no-store" });
});
