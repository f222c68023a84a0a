/**
 * Errors as RFC 9457 problem details (application/problem+json). Every problem
 * carries a stable `code` and the request id; internals (stack, messages of
 * unexpected errors) stay in the log.
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { PROBLEM_CONTENT_TYPE, problemBody, ProblemError, statusTitle, type ProblemInit } from "../../shared/api/problem.ts";
import type { ProblemCode } from "../../shared/api/schemas/problems.ts";
import { ConfigError } from "../../shared/config.ts";
import { QueryError } from "../../shared/db/query-types.ts";
import type { AppEnv } from "../env.ts";
import { logError } from "../log.ts";


/**
 * Answers with a problem+json body for this request (shared/api/problem.ts writes it;
 * headers already set on `c`, such as WWW-Authenticate or Retry-After, stay).
 */
// Any env: the versioned API's context (more variables) answers problems the same way.
export function problem(c: Context<any>, init: ProblemInit): Response {
  const body = problemBody(init, { instance: new URL(c.req.url).pathname, requestId: c.get("requestId") });
  return c.body(JSON.stringify(body), init.status as ContentfulStatusCode, { "content-type": PROBLEM_CONTENT_TYPE });
}

/** Where the title's snake case is not the catalogue's code (hono's bodyLimit throws 413, a limiter 429). */
const CLIENT_ERROR_CODES: Readonly<Record<number, ProblemCode>> = { 413: "payload_too_large", 429: "rate_limited" };

function clientError(status: number): { title: string; code: string } {
  const title = statusTitle(status);
  return { title, code: CLIENT_ERROR_CODES[status] ?? title.toLowerCase().replace(/ /g, "_") };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  problem(c, {
    status: 404,
    code: "not_found",
    title: "Not Found",
    detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
  });

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  const requestId = c.get("requestId");
  if (error instanceof ProblemError) return problem(c, error.init);
  if (error instanceof HTTPException && error.status < 500) {
    const { title, code } = clientError(error.status);
    return problem(c, { status: error.status, code, title, detail: error.message || title });
  }
  if (error instanceof QueryError) {
    const answer = queryProblem(error);
    if (answer.status >= 500) logError("database error", error, { requestId, code: error.code, sqlState: error.sqlState });
    return problem(c, answer);
  }
  if (error instanceof ConfigError) {
    logError("invalid configuration", error, { requestId, variables: error.issues.map((i) => i.variable) });
    return problem(c, {
      status: 500,
      code: error.code,
      title: "Invalid configuration",
      detail: `The service is misconfigured: ${error.issues.map((i) => `${i.variable} ${i.message}`).join("; ")}`,
    });
  }
  logError("unhandled error", error, { requestId, method: c.req.method, path: new URL(c.req.url).pathname });
  return problem(c, {
    status: 500,
    code: "internal_error",
    title: "Internal Server Error",
    detail: "An unexpected error occurred. Quote the request id when reporting it.",
  });
};

/**
 * Database failures the routes did not translate: an unreachable or timed-out
 * database is a 503 the client may retry; a value Postgres rejects (SQLSTATE
 * class 22, data exception) is the client's 400, never a 500.
 */
function queryProblem(error: QueryError): ProblemInit {
  if (error.code === "db_unavailable" || error.code === "statement_timeout") {
    return {
      status: 503,
      code: error.code,
      title: "Service Unavailable",
      detail: error.code === "statement_timeout" ? "The database did not answer in time" : "The database is unreachable",
    };
  }
  if (error.sqlState?.startsWith("22")) {
    return { status: 400, code: "invalid_value", title: "Bad Request", detail: "A value was rejected by the database" };
  }
  return { status: 500, code: "internal_error", title: "Internal Server Error", detail: "An unexpected error occurred. Quote the request id when reporting it." };
}
