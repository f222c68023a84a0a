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
import { notFound, onError } from "./middleware/problem.ts";
import { healthRoutes } from "./routes/health.ts";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId({ limitLength: 128 }));
  app.notFound(notFound);
  app.onError(onError);
  app.route("/", healthRoutes);
  return app;
}
