/**
 * GET /v1/ops/alerts (scope "ops"): the active alerts (pending and firing) and
 * the recent firing/resolve events, newest first. `?limit=` bounds the history
 * (1-200, default 50).
 */
import { Hono, type Context } from "hono";
import { NotConfiguredError } from "../../shared/config.ts";
import { listAlerts } from "../../shared/monitoring/alert-list.ts";
import { alertStoreFromConfig } from "../../shared/monitoring/from-config.ts";
import { AlertStoreError } from "../../shared/monitoring/state-store.ts";
import type { AppConfig } from "../../shared/config.ts";
import type { ApiEnv } from "../api-env.ts";
import { configFor } from "../config.ts";
import { logError } from "../log.ts";
import { requireScope } from "../middleware/auth.ts";
import { problem } from "../middleware/problem.ts";

const NO_STORE = { "cache-control": "no-store" };
const LIMIT = /^[1-9][0-9]{0,2}$/;
const MAX_LIMIT = 200;

/** The listing plus the rules it was computed against, shared with the dashboard. */
export async function alertsPayload(config: AppConfig, limit: number) {
  const rules = config.monitoring.rules;
  const listing = await listAlerts(rules, alertStoreFromConfig(config), limit);
  return {
    generatedAt: new Date().toISOString(),
    ...listing,
    rules: rules.map((rule) => ({ id: rule.id, name: rule.name, severity: rule.severity, metric: rule.metric, kind: rule.kind, route: rule.route ?? null })),
  };
}

/** Redis missing or failing is a 503 the caller can retry, not a 500. */
export function alertsUnavailable(c: Context<ApiEnv>, error: unknown): Response | undefined {
  if (error instanceof NotConfiguredError) {
    return problem(c, { status: 503, code: "alerts_not_configured", title: "Service Unavailable", detail: "Alert state lives in Redis, which is not configured (UPSTASH_REDIS_REST_URL)" });
  }
  if (error instanceof AlertStoreError) {
    logError("alert state unavailable", error, { requestId: c.get("requestId") });
    return problem(c, { status: 503, code: error.code, title: "Service Unavailable", detail: "Alert state could not be read from Redis; try again" });
  }
  return undefined;
}

export const opsAlertRoutes = new Hono<ApiEnv>().use("/v1/ops/alerts", requireScope("ops")).get("/v1/ops/alerts", async (c) => {
  const raw = c.req.query("limit");
  if (raw !== undefined && (!LIMIT.test(raw) || Number(raw) > MAX_LIMIT)) {
    return problem(c, { status: 400, code: "invalid_limit", title: "Bad Request", detail: `limit must be an integer from 1 to ${MAX_LIMIT}` });
  }
  try {
    return c.json(await alertsPayload(configFor(c.env), raw === undefined ? 50 : Number(raw)), 200, NO_STORE);
  } catch (error) {
    const answer = alertsUnavailable(c, error);
    if (answer !== undefined) return answer;
    throw error;
  }
});
