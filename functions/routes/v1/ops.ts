/** /v1/ops: this isolate's cache and query statistics; scope ops. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { CacheStats, QueryStats } from "../../../shared/api/schemas/ops.ts";
import type { AppEnv } from "../../env.ts";
import { rateLimitStats } from "../../middleware/rate-limit.ts";
import { requireServices } from "../../middleware/services.ts";
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

export const opsRoutes = new OpenAPIHono<AppEnv>()
  .openapi(cacheStats, (c) => {
    const services = requireServices(c);
    const rateLimit = rateLimitStats(services.rateLimits);
    return c.json({ ...services.cache.stats(), ...(rateLimit ? { rateLimit } : {}) }, 200, NO_STORE);
  })
  .openapi(queryStats, (c) => c.json(requireServices(c).optimizer.stats(), 200, NO_STORE));
