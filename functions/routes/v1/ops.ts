/** /v1/ops: this isolate's cache and query statistics; scope ops. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { CacheStats, QueryStats } from "../../../shared/api/schemas/ops.ts";
import type { ApiEnv } from "../../api-env.ts";
import { rateLimitStats } from "../../middleware/rate-limit.ts";
import { servicesFor } from "../../services.ts";
import { jsonContent, scopedRoute } from "./define.ts";

const cacheStats = scopedRoute("ops", {
  method: "get",
  path: "/ops/cache",
  tags: ["ops"],
  summary: "Cache counters per tier (this isolate)",
  responses: { 200: jsonContent(CacheStats, "Cache statistics") },
});

const queryStats = scopedRoute("ops", {
  method: "get",
  path: "/ops/queries",
  tags: ["ops"],
  summary: "Top statement fingerprints by total time, and recent slow queries (this isolate)",
  responses: { 200: jsonContent(QueryStats, "Query statistics") },
});

const NO_STORE = { "cache-control": "no-store" };

export const opsRoutes = new OpenAPIHono<ApiEnv>()
  .openapi(cacheStats, (c) => {
    const services = servicesFor(c.env);
    const rateLimit = rateLimitStats(services.config);
    return c.json({ ...services.cache.stats(), ...(rateLimit ? { rateLimit } : {}) }, 200, NO_STORE);
  })
  .openapi(queryStats, (c) => c.json(servicesFor(c.env).optimizer.stats(), 200, NO_STORE));
