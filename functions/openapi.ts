/**
 * `/openapi.json`: the OpenAPI 3.1 document of every route the app mounts, generated
 * from the zod schemas that validate requests (OpenAPIHono merges each mounted
 * router's definitions into the app's registry). Errors are RFC 9457 problem+json;
 * each response lists the stable codes it may carry in `x-problem-codes`.
 *
 * @example
 * const app = new OpenAPIHono<AppEnv>();
 * app.route("/", someOpenApiRouter);
 * serveOpenApi(app); // after every router is mounted
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "./env.ts";
import { SESSION_COOKIE } from "./dashboard/session.ts";
import { documentConsistencyToken } from "./openapi-consistency.ts";
import { publicRoute } from "./routes/v1/define.ts";

export const OPENAPI_INFO = {
  openapi: "3.1.0",
  info: {
    title: "netra-edge API",
    version: "1.0.0",
    description:
      "Cached reads and invalidating writes over the Netra domain, ops and dashboard routes. " +
      "Errors are RFC 9457 `application/problem+json` with a stable `code` (type `urn:netra-edge:problem:<code>`); " +
      "each error response lists the codes it may carry in `x-problem-codes`.",
  },
  tags: [
    { name: "users", description: "Users by id, email, plan tier and role" },
    { name: "audit logs", description: "A user's audit trail" },
    { name: "agent states", description: "Agent session state with optimistic versioning" },
    { name: "admin", description: "API keys (scope admin)" },
    { name: "rooms", description: "Tokens for PartyKit room WebSockets" },
    { name: "ops", description: "Cache, query, metrics, index advisor and alert state (scope ops)" },
    { name: "dashboard", description: "The performance dashboard: pages, assets, sign-in and its data API" },
    { name: "meta", description: "Health, no-op and this document" },
  ],
};

const OpenApiDocument = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ description: "This document." });

const openApiRoute = publicRoute({
  method: "get",
  path: "/openapi.json",
  operationId: "getOpenApiDocument",
  tags: ["meta"],
  summary: "The OpenAPI 3.1 document of every route",
  responses: { 200: { description: "The document", content: { "application/json": { schema: OpenApiDocument } } } },
});

/** Registers the security schemes and serves the document; call after mounting every router. */
export function serveOpenApi(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key: `nk_<keyId>_<secret>`, or the bootstrap admin key. Each route names the scope it needs in `x-required-scope`.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "dashboardSession", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description: "The dashboard's session cookie, set by POST /dashboard/login for a key with the ops scope.",
  });
  let document: z.infer<typeof OpenApiDocument> | undefined;
  app.openapi(openApiRoute, (c) => {
    // Generated once per isolate: the routes do not change at run time.
    if (document === undefined) {
      document = app.getOpenAPI31Document(OPENAPI_INFO) as z.infer<typeof OpenApiDocument>;
      documentConsistencyToken(document);
    }
    const servers = [{ url: new URL(c.req.url).origin, description: "The deployment serving this document" }];
    return c.json({ ...document, servers }, 200);
  });
}
