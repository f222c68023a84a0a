/**
 * The Hono app. Env arrives per request (`app.fetch(request, env, ctx)`), so a
 * test builds the app once and injects any env it likes.
 *
 * @example
 * const app = createApp();
 * const res = await app.fetch(new Request("http://edge/health"), env, ctx);
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./env.ts";
import { bodySizeLimit } from "./middleware/body-limit.ts";
import { corsAllowList } from "./middleware/cors.ts";
import { requestLog } from "./middleware/logger.ts";
import { metrics } from "./middleware/metrics.ts";
import { notFound, onError } from "./middleware/problem.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { requestTimeout } from "./middleware/request-timeout.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { isolateServices } from "./middleware/services.ts";
import { serveOpenApi } from "./openapi.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { healthRoutes } from "./routes/health.ts";
import { createApi } from "./routes/v1/index.ts";

export function createApp(): OpenAPIHono<AppEnv> {
  // OpenAPIHono: each mounted router's route definitions merge into one document.
  const app = new OpenAPIHono<AppEnv>();
  app.use(requestId({ limitLength: 128 }));
  // The isolate's services on c.var for everything below (one place builds them).
  app.use(isolateServices());
  // After requestId (events carry it), before everything else (the duration covers it all).
  app.use(metrics());
  // Access (README "Access"): the log line sees every outcome below it; headers go on
  // every response; CORS preflights are answered before limits; the timeout bounds
  // the limiter, the body read and the route; the body limit runs before any route reads.
  app.use(requestLog());
  app.use(securityHeaders());
  app.use(corsAllowList());
  app.use(requestTimeout());
  app.use(rateLimit());
  app.use(bodySizeLimit());
  app.notFound(notFound);
  app.onError(onError);
  app.route("/", healthRoutes);
  app.route("/", createApi());
  app.route("/", dashboardRoutes);
  serveOpenApi(app);
  return app;
}
