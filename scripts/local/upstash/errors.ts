/**
 * Failures the endpoint reports over HTTP. Each carries the status and a stable
 * `code`; the message is what `@upstash/redis` puts in the error it throws.
 */
export type EndpointErrorCode =
  | "bad_request"
  | "unauthorized"
  | "method_not_allowed"
  | "payload_too_large"
  | "redis_unavailable"
  | "shutting_down";

const STATUS: Record<EndpointErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  method_not_allowed: 405,
  payload_too_large: 413,
  redis_unavailable: 503,
  shutting_down: 503,
};

export class EndpointError extends Error {
  readonly status: number;

  constructor(
    readonly code: EndpointErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "EndpointError";
    this.status = STATUS[code];
  }
}

/** Malformed requests are answered in Redis's own error style so clients print them the same way. */
export function badRequest(detail: string): EndpointError {
  return new EndpointError("bad_request", `ERR ${detail}`);
}

export function redisUnavailable(cause: unknown): EndpointError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new EndpointError("redis_unavailable", `ERR redis is unavailable: ${reason}`);
}
