/**
 * Route definitions share two things: the scope each route needs (enforced by
 * requireScope, documented as bearer security plus `x-required-scope`), and the
 * problem+json responses it may answer.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { Scope } from "../../../shared/api/api-keys.ts";
import { Problem } from "../../../shared/api/schemas/common.ts";
import { jsonBody } from "../../middleware/json-body.ts";
import { requireScope } from "../../middleware/auth.ts";

const PROBLEM_DESCRIPTIONS = {
  400: "Invalid input (validation_failed, malformed_json, invalid_cursor): `errors` names each field",
  401: "Missing or invalid API key (missing_credentials, invalid_credentials)",
  403: "The key lacks the route's scope (insufficient_scope)",
  404: "Not found (not_found)",
  409: "Conflict (email_taken, version_conflict)",
  415: "The body is not application/json (unsupported_media_type)",
  422: "A referenced row does not exist (unknown_user)",
  503: "The database is unavailable or timed out (db_unavailable, statement_timeout)",
} as const;

type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

export function problems<S extends ProblemStatus>(...statuses: S[]) {
  const out = {} as Record<S, { description: string; content: { "application/problem+json": { schema: typeof Problem } } }>;
  for (const status of statuses) {
    out[status] = { description: PROBLEM_DESCRIPTIONS[status], content: { "application/problem+json": { schema: Problem } } };
  }
  return out;
}

/** Every authenticated route answers these. */
const AUTH_PROBLEMS = [401, 403, 503] as const;

/**
 * createRoute with the scope's middleware in front (auth before validation, so an
 * anonymous caller learns nothing about the input rules) and, for routes with a
 * body, the JSON gate.
 */
export function scopedRoute<R extends Omit<RouteConfig, "middleware" | "security">>(scope: Scope, config: R) {
  const middleware = config.request?.body ? [requireScope(scope), jsonBody] : [requireScope(scope)];
  return createRoute({
    ...config,
    security: [{ bearerAuth: [] }],
    "x-required-scope": scope,
    middleware,
    responses: { ...problems(...AUTH_PROBLEMS), ...config.responses },
  });
}

export function jsonContent<T>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonRequest<T>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}
