/**
 * The versioned API: every route under /v1 from zod schemas that both validate
 * and document, plus `/openapi.json` (OpenAPI 3.1, generated from those schemas)
 * and the unauthenticated `/ping`.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv } from "../../api-env.ts";
import { timing } from "../../middleware/timing.ts";
import { validationHook } from "../../middleware/validation.ts";
import { adminRoutes } from "./admin.ts";
import { agentStateRoutes } from "./agent-states.ts";
import { auditLogRoutes } from "./audit-logs.ts";
import { opsRoutes } from "./ops.ts";
import { pingRoutes, publicPing } from "./ping.ts";
import { userRoutes } from "./users.ts";

export const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "netra-edge API",
    version: "1.0.0",
    description: "Cached reads and invalidating writes over the Netra domain. Errors are RFC 9457 problem+json with a stable `code`.",
  },
};

export function createApi(): OpenAPIHono<ApiEnv> {
  const v1 = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  v1.use(timing);
  v1.route("/", userRoutes);
  v1.route("/", auditLogRoutes);
  v1.route("/", agentStateRoutes);
  v1.route("/", adminRoutes);
  v1.route("/", opsRoutes);
  v1.route("/", pingRoutes);

  const api = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key: `nk_<keyId>_<secret>`, or the bootstrap admin key.",
  });
  api.openapi(publicPing, (c) => c.json({ ok: true as const }, 200));
  api.route("/v1", v1);
  let document: unknown;
  api.get("/openapi.json", (c) => {
    // Generated once per isolate: the routes do not change at run time.
    document ??= api.getOpenAPI31Document(OPENAPI_INFO);
    return c.json(document as Record<string, unknown>);
  });
  return api;
}
