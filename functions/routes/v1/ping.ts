/**
 * The trivial routes the benchmarks compare against: no cache, no database.
 * `/v1/ping` runs the same middleware as every API route (auth with the isolate's
 * key cache, timing); `/ping` runs none.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { Pong } from "../../../shared/api/schemas/ops.ts";
import type { AppEnv } from "../../env.ts";
import { jsonContent, scopedRoute } from "./define.ts";

const authedPing = scopedRoute("read", {
  method: "get",
  path: "/ping",
  tags: ["ops"],
  summary: "Authenticated no-op",
  responses: { 200: jsonContent(Pong, "Pong") },
});

export const pingRoutes = new OpenAPIHono<AppEnv>().openapi(authedPing, (c) => c.json({ ok: true as const }, 200));

export const publicPing = createRoute({
  method: "get",
  path: "/ping",
  tags: ["ops"],
  summary: "Unauthenticated no-op",
  responses: { 200: jsonContent(Pong, "Pong") },
});
