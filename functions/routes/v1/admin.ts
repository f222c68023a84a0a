/** /v1/admin/keys: create an API key (the token is returned once). */
import { OpenAPIHono } from "@hono/zod-openapi";
import { CreatedKey, CreateKeyBody } from "../../../shared/api/schemas/keys.ts";
import type { ApiEnv } from "../../api-env.ts";
import { readContext } from "../../middleware/read-context.ts";
import { servicesFor } from "../../services.ts";
import { jsonContent, jsonRequest, problems, scopedRoute } from "./define.ts";

const createKey = scopedRoute("admin", {
  method: "post",
  path: "/admin/keys",
  tags: ["admin"],
  summary: "Create an API key with scopes",
  request: { body: jsonRequest(CreateKeyBody) },
  responses: { 201: jsonContent(CreatedKey, "The key, with its token (shown once)"), ...problems(400, 415) },
});

export const adminRoutes = new OpenAPIHono<ApiEnv>().openapi(createKey, async (c) => {
  const { name, scopes } = c.req.valid("json");
  const created = await servicesFor(c.env).apiKeys.create(name, scopes, readContext(c));
  return c.json(created, 201, { "cache-control": "no-store" });
});
