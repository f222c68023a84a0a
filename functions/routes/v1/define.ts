/**
 * Route definitions share three things: the scope each route needs (enforced by
 * requireScope, documented as bearer security plus `x-required-scope`), the
 * problem+json responses it may answer (each listing its codes as
 * `x-problem-codes`), and the cross-cutting problems every route may answer
 * (rate limit, body limit, timeout, internal error), added here so no route
 * repeats them.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { z } from "zod";
import type { Scope } from "../../../shared/api/api-keys.ts";
import type { FieldIssue } from "../../../shared/api/errors.ts";
import { FIELD_LOCATION, ProblemError, statusTitle } from "../../../shared/api/problem.ts";
import { Problem } from "../../../shared/api/schemas/common.ts";
import { PROBLEM_CODES, type ProblemCode } from "../../../shared/api/schemas/problems.ts";
import { jsonBody } from "../../middleware/json-body.ts";
import { requireScope } from "../../middleware/auth.ts";

import { fieldIssues } from "../../middleware/validation.ts";

type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;


/** The codes a v1 route answers per status when it does not name its own. */
const DEFAULT_CODES: Record<ProblemStatus, readonly ProblemCode[]> = {
  400: ["validation_failed", "malformed_json", "invalid_cursor", "invalid_value"],
  401: ["missing_credentials", "invalid_credentials"],
  403: ["insufficient_scope"],
  404: ["not_found"],
  409: ["email_taken", "version_conflict", "conflict"],
  413: ["payload_too_large"],
  415: ["unsupported_media_type"],
  422: ["unknown_user"],
  429: ["rate_limited"],
  500: ["internal_error", "config_invalid"],
  502: [],
  503: ["db_unavailable", "statement_timeout"],
};

const PROBLEM_HEADERS: Partial<Record<ProblemStatus, Record<string, { description: string; schema: { type: "string" | "integer" } }>>> = {
  401: { "WWW-Authenticate": { description: 'Bearer challenge (`error="invalid_token"` when the key is wrong)', schema: { type: "string" } } },
  403: { "WWW-Authenticate": { description: 'Bearer challenge with `error="insufficient_scope"` and the scope needed', schema: { type: "string" } } },
  429: {
    "Retry-After": { description: "Seconds until a request may succeed", schema: { type: "integer" } },
    "RateLimit-Limit": { description: "Requests allowed per window", schema: { type: "integer" } },
    "RateLimit-Remaining": { description: "Requests left in the window", schema: { type: "integer" } },
    "RateLimit-Reset": { description: "Seconds until the window resets", schema: { type: "integer" } },
    "RateLimit-Policy": { description: "`<limit>;w=<window seconds>`", schema: { type: "string" } },
  },
  503: { "Retry-After": { description: "Seconds to wait before retrying (set by the request timeout)", schema: { type: "integer" } } },
};

const PROBLEM_MEDIA_TYPE = "application/problem+json";

interface ProblemResponse {
  description: string;
  "x-problem-codes": readonly ProblemCode[];
  content: { "application/problem+json": { schema: typeof Problem } };
}

function problemResponse(status: ProblemStatus, codes: readonly ProblemCode[]): ProblemResponse {
  const unique = [...new Set(codes)];
  const listed = unique.map((code) => `\`${code}\` (${PROBLEM_CODES[code].meaning})`).join("; ");
  const headers = PROBLEM_HEADERS[status];
  const response: ProblemResponse = {
    description: listed === "" ? statusTitle(status) : `${statusTitle(status)}: ${listed}`,
    "x-problem-codes": unique,
    content: { [PROBLEM_MEDIA_TYPE]: { schema: Problem } } as ProblemResponse["content"],
  };
  // Headers stay out of the static type: the handlers never build these answers themselves.
  return headers ? Object.assign(response, { headers }) : response;
}

/** Problem responses for these statuses, with the default codes of each. */
export function problems<S extends ProblemStatus>(...statuses: S[]): Record<S, ProblemResponse> {
  const out = {} as Record<S, ProblemResponse>;
  for (const status of statuses) out[status] = problemResponse(status, DEFAULT_CODES[status]);
  return out;
}

/** Problem responses naming exactly these codes, grouped by their catalogued status. */
export function problemCodes(...codes: ProblemCode[]): Partial<Record<ProblemStatus, ProblemResponse>> {
  const byStatus = new Map<ProblemStatus, ProblemCode[]>();
  for (const code of codes) {
    const status = PROBLEM_CODES[code].status as ProblemStatus;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, problemResponse(status, list)]));
}

type Responses = RouteConfig["responses"];
type Response = Responses[string];

function isProblem(response: Response | undefined): response is ProblemResponse {
  return response !== undefined && "x-problem-codes" in response;
}

/**
 * A route's own answer and a cross-cutting problem on one status: problem codes
 * merge; another body (an HTML page, the health report) keeps its media type and
 * the problem sits beside it.
 */
function mergeResponse(status: ProblemStatus, mine: Response, shared: ProblemResponse): Response {
  if (isProblem(mine)) return problemResponse(status, [...mine["x-problem-codes"], ...shared["x-problem-codes"]]);
  if ("$ref" in mine) return mine;
  return {
    ...shared,
    ...mine,
    description: `${mine.description}. Or ${shared.description}`,
    "x-problem-codes": shared["x-problem-codes"],
    headers: { ...(shared as { headers?: object }).headers, ...mine.headers },
    content: { ...shared.content, ...mine.content },
  } as Response;
}

/** bad_request: a body cut off while the body limit reads it (any route may be sent one). */
const EVERY_ROUTE: readonly ProblemCode[] = ["bad_request", "payload_too_large", "rate_limited", "internal_error", "config_invalid", "request_timeout"];
const AUTHENTICATED: readonly ProblemCode[] = ["missing_credentials", "invalid_credentials", "insufficient_scope", "db_unavailable", "statement_timeout"];

/**
 * Every route's responses plus the cross-cutting problems: 400 bad_request, 413, 429, 500 and the
 * request timeout's 503 on every route; 415 where there is a body; 401, 403 and
 * the key lookup's 503 (db_unavailable, statement_timeout) where a key is needed.
 */
export function withCrossCutting<R extends Responses>(responses: R, { authenticated, body }: { authenticated: boolean; body: boolean }): R {
  const shared = problemCodes(
    ...EVERY_ROUTE,
    ...(body ? (["unsupported_media_type"] as const) : []),
    ...(authenticated ? AUTHENTICATED : []),
  );
  const out: Responses = { ...responses };
  for (const [key, response] of Object.entries(shared) as [string, ProblemResponse][]) {
    const status = Number(key) as ProblemStatus;
    const mine = out[key];
    out[key] = mine === undefined ? response : mergeResponse(status, mine, response);
  }
  return out as R;
}

/** `get /users/{id}` -> `getUsersById`: a stable id for routes that do not name one. */
export function operationIdFor(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => (segment.startsWith("{") ? `by-${segment.slice(1, -1)}` : segment))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== "");
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");
}

/**
 * createRoute with the scope's middleware in front (auth before validation, so an
 * anonymous caller learns nothing about the input rules) and, for routes with a
 * JSON body, the JSON gate.
 */
export function scopedRoute<R extends Omit<RouteConfig, "middleware" | "security">>(scope: Scope, config: R) {
  const body = config.request?.body !== undefined;
  const middleware = body ? [requireScope(scope), jsonBody] : [requireScope(scope)];
  return createRoute({
    ...config,
    operationId: config.operationId ?? operationIdFor(config.method, config.path),
    security: [{ bearerAuth: [] }],
    "x-required-scope": scope,
    middleware,
    responses: withCrossCutting({ ...problems(401, 403, 503), ...config.responses }, { authenticated: true, body }),
  });
}

/** createRoute for a route anyone may call (its own middleware, if any, stays). */
export function publicRoute<R extends RouteConfig>(config: R) {
  return createRoute({
    ...config,
    operationId: config.operationId ?? operationIdFor(config.method, config.path),
    responses: withCrossCutting(config.responses, { authenticated: config.security !== undefined && config.security.length > 0, body: config.request?.body !== undefined }),
  });
}

export function jsonContent<T>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonRequest<T>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

/**
 * A validation hook that answers with the route's own 400 code (these routes kept
 * their codes when they moved onto zod): detail is the first issue's message, or
 * `detail(issue)`; `errors` lists every issue as validation_failed does.
 */
export function rejectAs(code: ProblemCode, options: { detail?: (issue: FieldIssue) => string; field?: boolean } = {}) {
  return (result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }), c: Context): globalThis.Response | undefined => {
    if (result.success) return undefined;
    const input = (result as { data?: unknown }).data;
    const errors = fieldIssues(FIELD_LOCATION[result.target] ?? "query", result.error.issues, input);
    const first = errors[0] ?? { in: "query" as const, path: "", message: "is invalid" };
    throw new ProblemError({
      status: 400,
      code,
      title: "Bad Request",
      detail: options.detail ? options.detail(first) : first.message,
      errors,
      ...(options.field ? { field: first.path } : {}),
    });
  };
}
