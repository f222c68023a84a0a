/**
 * RFC 9457 problem details, written in one place for the Worker and the rooms:
 * the body, the status titles, and the map from a validation target to the
 * location a field issue names. Web-standard only (Response), no framework.
 *
 * @example
 * throw new ProblemError({ status: 404, code: "not_found", detail: "User 42 does not exist" });
 * // and where errors are answered:
 * problemResponse(error.init, { instance: "/v1/users/42", requestId });
 * // -> 404 application/problem+json
 * //    {"type":"urn:netra-edge:problem:not_found","title":"Not Found","status":404,"detail":...,"instance":"/v1/users/42","code":"not_found","requestId":...}
 */
import { problemTypeUri } from "./schemas/problems.ts";

/** One rejected field of a request (`errors[]` of a validation problem). */
export interface FieldIssue {
  in: "body" | "query" | "path" | "header";
  path: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** The title of every status this API answers with a problem. */
export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? (status >= 500 ? "Server Error" : "Request Rejected");
}

/** Where a validator's target puts a field issue (`errors[].in`). */
export const FIELD_LOCATION: Readonly<Record<string, FieldIssue["in"]>> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "header",
};

export interface ProblemInit {
  status: number;
  /** A code of PROBLEM_CODES (shared/api/schemas/problems.ts). */
  code: string;
  detail: string;
  /** Defaults to the status's title. */
  title?: string | undefined;
  /** Validation failures: one entry per rejected field. */
  errors?: readonly FieldIssue[] | undefined;
  /** invalid_parameter: the offending parameter. */
  field?: string | undefined;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId?: string;
  errors?: readonly FieldIssue[];
  field?: string;
}

/** What the request contributes: its path (the problem's `instance`) and id. */
export interface ProblemContext {
  instance: string;
  requestId?: string | undefined;
}

export function problemBody(init: ProblemInit, context: ProblemContext): ProblemDetails {
  return {
    type: problemTypeUri(init.code),
    title: init.title ?? statusTitle(init.status),
    status: init.status,
    detail: init.detail,
    instance: context.instance,
    code: init.code,
    ...(context.requestId !== undefined ? { requestId: context.requestId } : {}),
    ...(init.errors ? { errors: init.errors } : {}),
    ...(init.field !== undefined ? { field: init.field } : {}),
  };
}

export function problemResponse(init: ProblemInit, context: ProblemContext, headers: HeadersInit = {}): Response {
  const response = new Response(JSON.stringify(problemBody(init, context)), { status: init.status, headers });
  response.headers.set("content-type", PROBLEM_CONTENT_TYPE);
  return response;
}

/** Thrown by a route, middleware or room to answer a problem; the one renderer writes it. */
export class ProblemError extends Error {
  readonly init: ProblemInit;
  constructor(init: ProblemInit) {
    super(init.detail);
    this.name = "ProblemError";
    this.init = init;
  }
}
