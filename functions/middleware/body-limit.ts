/**
 * Request bodies above BODY_MAX_BYTES answer 413 problem+json `payload_too_large`
 * before any route reads them (hono's bodyLimit: the declared Content-Length is
 * checked first; a chunked body is counted as it streams and cut at the limit).
 *
 * @example
 * app.use(bodySizeLimit());
 */
import type { Context, MiddlewareHandler, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { ProblemError } from "../../shared/api/problem.ts";

export function payloadTooLarge(maxBytes: number): never {
  throw new ProblemError({
    status: 413,
    code: "payload_too_large",
    title: "Content Too Large",
    detail: `The request body exceeds ${maxBytes} bytes`,
  });
}

/** The limit for `maxSize` bytes (built once per config by functions/services.ts). */
export function createBodyLimit(maxSize: number): MiddlewareHandler {
  return bodyLimit({ maxSize, onError: () => payloadTooLarge(maxSize) });
}

/** Without valid services (an invalid env) no limit applies: the route answers the config error before reading. */
export function bodySizeLimit(): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const limit = c.get("services")?.bodyLimit;
    return limit === undefined ? next() : readWithin(limit, c, next);
  };
}

/**
 * A body that fails while it is read (the client cut a chunked upload off: workerd
 * throws "Network connection lost") is the client's 400, not a 500 that would count
 * as a server error. Errors from the routes below pass through as they are.
 */
async function readWithin(limit: MiddlewareHandler, c: Context, next: Next): Promise<Response | void> {
  let routed = false;
  try {
    return await limit(c, () => {
      routed = true;
      return next();
    });
  } catch (error) {
    // The route's own errors and the limit's 413 pass through; only a failed read is answered here.
    if (routed || error instanceof ProblemError) throw error;
    throw new ProblemError({
      status: 400,
      code: "bad_request",
      title: "Bad Request",
      detail: "The request body could not be read to its end",
    });
  }
}
