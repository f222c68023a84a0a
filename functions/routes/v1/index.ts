/**
 * The versioned API: every route under /v1 lives in this folder, from zod schemas
 * that both validate and document (functions/openapi.ts serves the document), plus
 * the unauthenticated `/ping`. One mount: every /v1 response carries
 * `server-timing` (and `x-cache` when it read through the cache).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { timing } from "../../middleware/timing.ts";
import { validationHook } from "../../middleware/validation.ts";
import { adminRoutes } from "./admin.ts";
import { agentStateRoutes } from "./agent-states.ts";
import { auditLogRoutes } from "./audit-logs.ts";
import { opsAlertRoutes } from "./ops-alerts.ts";
import { opsIndexRoutes } from "./ops-indexes.ts";
import { opsMetricsRoutes } from "./ops-metrics.ts";
import { opsRoutes } from "./ops.ts";
import { publicRoute } from "./define.ts";
import { pingRoutes, publicPing } from "./ping.ts";
import { roomRoutes } from "./rooms.ts";
import { userRoutes } from "./users.ts";

export function createApi(): OpenAPIHono<AppEnv> {
  const v1 = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  v1.route("/", userRoutes);
  v1.route("/", auditLogRoutes);
  v1.route("/", agentStateRoutes);
  v1.route("/", adminRoutes);
  v1.route("/", opsRoutes);
  v1.route("/", pingRoutes);
  v1.route("/", opsAlertRoutes);
  v1.route("/", opsIndexRoutes);
  v1.route("/", opsMetricsRoutes);
  v1.route("/", roomRoutes);

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.use("/v1/*", timing);
  api.openapi(publicRoute({ ...publicPing, operationId: "ping" }), (c) => c.json({ ok: true as const }, 200));
  api.route("/v1", v1);
  return api;
}
