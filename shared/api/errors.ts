/**
 * Errors the API answers on purpose, each with an HTTP status and a stable code.
 * Raised by the stores (shared/api/store) and turned into problem+json by the Worker.
 */
export interface FieldIssue {
  in: "body" | "query" | "path" | "header";
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: 400 | 404 | 409 | 422 | 503;
  readonly code: string;
  readonly title: string;
  readonly errors: readonly FieldIssue[] | undefined;
  constructor(status: ApiError["status"], code: string, title: string, detail: string, errors?: readonly FieldIssue[]) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.title = title;
    this.errors = errors;
  }
}

export const notFound = (what: string) => new ApiError(404, "not_found", "Not Found", `${what} does not exist`);

export const conflict = (code: string, detail: string) => new ApiError(409, code, "Conflict", detail);

