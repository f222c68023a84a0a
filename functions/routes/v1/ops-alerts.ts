/**
 * GET /v1/ops/alerts (scope "ops"): the active alerts (pending and firing) and
 * the recent firing/resolve events, newest first. `?limit=` bounds the history
 * (1-200, default 50).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { AlertsListing, AlertsQuery } from "../../../shared/api/schemas/ops-alerts.ts";
import { NotConfiguredError } from "../../../shared/config.ts";
import { listAlerts } from "../../../shared/monitoring/alert-list.ts";
import { AlertStoreError } from "../../../shared/monitoring/state-store.ts";
import type { AppEnv } from "../../env.ts";
import type { Services } from "../../services.ts";
import { requireServices } from "../../middleware/services.ts";
import { logError } from "../../log.ts";
import { ProblemError, type ProblemInit } from "../../../shared/api/problem.ts";
import { jsonContent, problemCodes, rejectAs, scopedRoute } from "./define.ts";

const NO_STORE = { "cache-control": "no-store" };

/** The listing plus the rules it was computed against, shared with the dashboard. */
export async function alertsPayload(services: Pick<Services, "config" | "alertStore">, limit: number) {
  const rules = services.config.monitoring.rules;
  if (services.alertStore === undefined) throw new NotConfiguredError();
  const listing = await listAlerts(rules, services.alertStore, limit);
  return {
    generatedAt: new Date().toISOString(),
    ...listing,
    rules: rules.map((rule) => ({ id: rule.id, name: rule.name, severity: rule.severity, metric: rule.metric, kind: rule.kind, route: rule.route ?? null })),
  };
}

/** Redis missing or failing is a 503 the caller can retry, not a 500. */
function alertsProblem(error: unknown, requestId: string): ProblemInit | undefined {
  if (error instanceof NotConfiguredError) {
    return { status: 503, code: "alerts_not_configured", title: "Service Unavailable", detail: "Alert state lives in Redis, which is not configured (UPSTASH_REDIS_REST_URL)" };
  }
  if (error instanceof AlertStoreError) {
    logError("alert state unavailable", error, { requestId });
    return { status: 503, code: error.code, title: "Service Unavailable", detail: "Alert state could not be read from Redis; try again" };
  }
  return undefined;
}

const alerts = scopedRoute("ops", {
  method: "get",
  path: "/ops/alerts",
  operationId: "getOpsAlerts",
  tags: ["ops"],
  summary: "Active alerts, recent firing and resolve events, and the rules",
  request: { query: AlertsQuery },
  responses: { 200: jsonContent(AlertsListing, "The alerts"), ...problemCodes("invalid_limit", "alerts_not_configured", "alert_store_failed") },
});

export const opsAlertRoutes = new OpenAPIHono<AppEnv>().openapi(
  alerts,
  async (c) => {
    const { limit } = c.req.valid("query");
    try {
      return c.json(await alertsPayload(requireServices(c), limit === undefined ? 50 : Number(limit)), 200, NO_STORE);
    } catch (error) {
      const init = alertsProblem(error, c.get("requestId"));
      throw init === undefined ? error : new ProblemError(init);
    }
  },
  rejectAs("invalid_limit"),
);
