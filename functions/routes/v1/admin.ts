/**
 * /v1/admin/keys (scope admin): create, list, rotate and revoke API keys. Tokens
 * appear only in the create and rotate answers, once. Rotation and revocation
 * drop the key from this isolate's verifier cache at once; other isolates follow
 * within API_KEY_CACHE_TTL_MS (key-verifier.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { ProblemError } from "../../../shared/api/problem.ts";
import { KeyAdminError } from "../../../shared/api/key-admin.ts";
import { CreatedKey, CreateKeyBody, KeyIdParams, KeyList, KeyRecord, ListKeysQuery, RotatedKey } from "../../../shared/api/schemas/keys.ts";
import type { AppEnv } from "../../env.ts";
import { readContext } from "../../middleware/read-context.ts";
import { requireServices } from "../../middleware/services.ts";
import { jsonContent, jsonRequest, problemCodes, problems, scopedRoute } from "./define.ts";

const NO_STORE = { "cache-control": "no-store" };

const createKey = scopedRoute("admin", {
  method: "post",
  path: "/admin/keys",
  tags: ["admin"],
  summary: "Create an API key with scopes",
  request: { body: jsonRequest(CreateKeyBody) },
  responses: { 201: jsonContent(CreatedKey, "The key, with its token (shown once)"), ...problems(400, 415) },
});

const listKeys = scopedRoute("admin", {
  method: "get",
  path: "/admin/keys",
  tags: ["admin"],
  summary: "List API keys (ids, names, scopes, dates; never secrets)",
  request: { query: ListKeysQuery },
  responses: { 200: jsonContent(KeyList, "Every key, oldest first"), ...problemCodes("validation_failed") },
});

const rotateKey = scopedRoute("admin", {
  method: "post",
  path: "/admin/keys/{keyId}/rotate",
  tags: ["admin"],
  summary: "Give a key a new secret; the old token stops working",
  request: { params: KeyIdParams },
  responses: { 200: jsonContent(RotatedKey, "The key, with its new token (shown once)"), ...problemCodes("validation_failed", "not_found", "conflict") },
});

const revokeKey = scopedRoute("admin", {
  method: "delete",
  path: "/admin/keys/{keyId}",
  tags: ["admin"],
  summary: "Revoke a key (idempotent)",
  request: { params: KeyIdParams },
  responses: { 200: jsonContent(KeyRecord, "The revoked key"), ...problemCodes("validation_failed", "not_found") },
});

function apiError(error: unknown): unknown {
  if (!(error instanceof KeyAdminError)) return error;
  return error.code === "key_not_found"
    ? new ProblemError({ status: 404, code: "not_found", detail: `API key ${error.keyId} does not exist` })
    : new ProblemError({ status: 409, code: "conflict", detail: `API key ${error.keyId} is revoked; create a new key instead` });
}

export const adminRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createKey, async (c) => {
    const { name, scopes } = c.req.valid("json");
    const created = await requireServices(c).apiKeys.create(name, scopes, readContext(c));
    return c.json(created, 201, NO_STORE);
  })
  .openapi(listKeys, async (c) => {
    const items = await requireServices(c).apiKeys.admin(readContext(c)).list({ activeOnly: c.req.valid("query").active === "true" });
    return c.json({ items }, 200, NO_STORE);
  })
  .openapi(rotateKey, async (c) => {
    const { keyId } = c.req.valid("param");
    const services = requireServices(c);
    const rotated = await services.apiKeys.admin(readContext(c)).rotate(keyId).catch((error: unknown) => Promise.reject(apiError(error)));
    services.keys.forget(keyId);
    return c.json(rotated, 200, NO_STORE);
  })
  .openapi(revokeKey, async (c) => {
    const { keyId } = c.req.valid("param");
    const services = requireServices(c);
    const revoked = await services.apiKeys.admin(readContext(c)).revoke(keyId).catch((error: unknown) => Promise.reject(apiError(error)));
    services.keys.forget(keyId);
    return c.json(revoked, 200, NO_STORE);
  });
