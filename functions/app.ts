/**
 * The Hono app. Env arrives per request (`app.fetch(request, env, ctx)`), so a
 * test builds the app once and injects any env it likes.
 *
 * @example
 * const app = createApp();
 * const res = await app.fetch(new Request("http://edge/health"), env, ctx);
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./env.ts";
import { metrics } from "./middleware/metrics.ts";
import { notFound, onError } from "./middleware/problem.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { healthRoutes } from "./routes/health.ts";
import { opsAlertRoutes } from "./routes/ops-alerts.ts";
import { opsIndexRoutes } from "./routes/ops-indexes.ts";
import { opsMetricsRoutes } from "./routes/ops-metrics.ts";
import { roomRoutes } from "./routes/rooms.ts";
import { createApi } from "./routes/v1/index.ts";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId({ limitLength: 128 }));
  // After requestId (events carry it), before everything else (the duration covers it all).
  app.use(metrics());
  app.notFound(notFound);
  app.onError(onError);
  app.route("/", healthRoutes);
  app.route("/", opsAlertRoutes);
  app.route("/", opsIndexRoutes);
  app.route("/", opsMetricsRoutes);
  app.route("/", createApi());
  app.route("/", dashboardRoutes);
  app.route("/v1", roomRoutes);
  return app;
}
