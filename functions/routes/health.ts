/** GET /health: every dependency probed concurrently, each bounded by the health timeout. */
import { Hono } from "hono";
import { dependencyProbes } from "../../shared/health/dependency-probes.ts";
import { runHealthChecks } from "../../shared/health/index.ts";
import { configFor } from "../config.ts";
import type { AppEnv } from "../env.ts";

export const healthRoutes = new Hono<AppEnv>().get("/health", async (c) => {
  const config = configFor(c.env);
  const report = await runHealthChecks(dependencyProbes(config), {
    timeoutMs: config.health.checkTimeoutMs,
    now: () => performance.now(),
  });
  return c.json(report, report.status === "ok" ? 200 : 503, { "cache-control": "no-store" });
});
