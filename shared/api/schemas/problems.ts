/**
 * Every problem code the API answers, with its HTTP status and what it means.
 * A problem's `type` is `urn:netra-edge:problem:<code>` (problemTypeUri), so the
 * code is the stable identifier clients branch on; titles and details may change.
 * The OpenAPI document lists, per response, which of these codes it may carry
 * (`x-problem-codes`), and the README's error table is this list.
 */
export const PROBLEM_TYPE_PREFIX = "urn:netra-edge:problem:";

export function problemTypeUri(code: string): string {
  return `${PROBLEM_TYPE_PREFIX}${code}`;
}

export interface ProblemCodeInfo {
  status: number;
  meaning: string;
}

export const PROBLEM_CODES = {
  validation_failed: { status: 400, meaning: "A parameter or body field failed validation; `errors` names each one" },
  malformed_json: { status: 400, meaning: "The body is not valid JSON" },
  invalid_cursor: { status: 400, meaning: "The `cursor` was not issued by this API or has been altered" },
  invalid_value: { status: 400, meaning: "The database rejected a value (SQLSTATE class 22)" },
  invalid_parameter: { status: 400, meaning: "A metrics query parameter is invalid; `field` names it" },
  invalid_run_id: { status: 400, meaning: "An advisor run id is not a positive integer" },
  invalid_idempotency_key: { status: 400, meaning: "`Idempotency-Key` is not 1-128 printable ASCII characters" },
  invalid_limit: { status: 400, meaning: "`limit` is out of range" },
  invalid_range: { status: 400, meaning: "`range` is not one of the dashboard ranges" },
  bad_request: { status: 400, meaning: "The request was rejected before routing: a malformed form, or a body cut off before its end" },
  missing_credentials: { status: 401, meaning: "No `Authorization: Bearer` API key was sent" },
  invalid_credentials: { status: 401, meaning: "The API key is unknown, revoked or malformed" },
  session_required: { status: 401, meaning: "Neither a dashboard session cookie nor an API key was sent" },
  insufficient_scope: { status: 403, meaning: "The API key lacks the scope the route needs" },
  cors_origin_denied: { status: 403, meaning: "A CORS preflight from an origin not in CORS_ALLOWED_ORIGINS" },
  not_found: { status: 404, meaning: "No such route or resource" },
  no_advisor_run: { status: 404, meaning: "The index advisor has not finished a run yet" },
  advisor_run_not_found: { status: 404, meaning: "No index advisor run with that id" },
  email_taken: { status: 409, meaning: "A user with this email exists (case-insensitive)" },
  version_conflict: { status: 409, meaning: "The agent state's version is not the one sent" },
  conflict: { status: 409, meaning: "The write conflicts with existing data" },
  advisor_run_in_progress: { status: 409, meaning: "Another index advisor run holds the lock" },
  payload_too_large: { status: 413, meaning: "The body exceeds the request body limit" },
  unsupported_media_type: { status: 415, meaning: "The body's content type is not one the route accepts" },
  unknown_user: { status: 422, meaning: "The body references a user that does not exist" },
  rate_limited: { status: 429, meaning: "Too many requests for this key or client; see `Retry-After`" },
  internal_error: { status: 500, meaning: "An unexpected error; quote the request id" },
  config_invalid: { status: 500, meaning: "The deployment's configuration is invalid" },
  advisor_run_failed: { status: 502, meaning: "The index advisor run failed" },
  db_unavailable: { status: 503, meaning: "Postgres is unreachable; retry" },
  statement_timeout: { status: 503, meaning: "Postgres did not answer in time; retry" },
  request_timeout: { status: 503, meaning: "The request did not finish within the per-request timeout; retry" },
  metrics_not_configured: { status: 503, meaning: "ClickHouse is not configured" },
  metrics_unavailable: { status: 503, meaning: "ClickHouse did not answer; retry" },
  alerts_not_configured: { status: 503, meaning: "Redis (alert state) is not configured" },
  alert_store_failed: { status: 503, meaning: "Alert state could not be read from Redis; retry" },
  rooms_not_configured: { status: 503, meaning: "Room tokens are not configured (ROOM_TOKEN_SECRET)" },
} as const satisfies Record<string, ProblemCodeInfo>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(PROBLEM_CODES, code);
}
