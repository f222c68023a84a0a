/**
 * CORS for the origins in CORS_ALLOWED_ORIGINS (exact origins, or "*"); empty (the
 * default) means no CORS at all: no headers, and OPTIONS is an ordinary unknown
 * route. Credentials are never allowed cross-origin (the API takes bearer keys,
 * and the dashboard's cookie is SameSite=Strict), so "*" is safe to offer.
 *
 * A preflight from an origin not on the list answers 403 problem+json
 * `cors_origin_denied` instead of a 204 the browser would reject anyway: the
 * operator reading the network tab sees why.
 *
 * @example
 * app.use(corsAllowList()); // CORS_ALLOWED_ORIGINS="https://app.example.com"
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppConfig } from "../../shared/config.ts";
import type { AppEnv } from "../env.ts";
import { ProblemError } from "../../shared/api/problem.ts";

// x-netra-consistency both ways: a browser app on another origin reads it from a write and sends it back on reads.
const ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "x-request-id", "x-netra-consistency"];
const EXPOSE_HEADERS = [
  "x-request-id",
  "x-cache",
  "server-timing",
  "retry-after",
  "ratelimit-limit",
  "ratelimit-remaining",
  "ratelimit-reset",
  "ratelimit-policy",
  "x-netra-consistency",
];
const ALLOW_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
const MAX_AGE_SECONDS = 600;

/** Whether the list lets `origin` in. */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  return allowed.includes("*") || allowed.includes(origin);
}

/** The CORS handler of a config (built once per config by functions/services.ts); undefined when no origin is allowed. */
export function createCors(config: AppConfig): MiddlewareHandler | undefined {
  const allowed = config.access.corsAllowedOrigins;
  if (allowed.length === 0) return undefined;
  return cors({
    origin: allowed.includes("*") ? "*" : (origin) => (originAllowed(allowed, origin) ? origin : null),
    allowMethods: ALLOW_METHODS,
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: MAX_AGE_SECONDS,
    credentials: false,
  });
}

export function corsAllowList(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const services = c.get("services");
    if (services?.cors === undefined) return next();
    const allowed = services.config.access.corsAllowedOrigins;
    const origin = c.req.header("origin");
    const preflight = c.req.method === "OPTIONS" && origin !== undefined && c.req.header("access-control-request-method") !== undefined;
    if (preflight && !originAllowed(allowed, origin)) {
      throw new ProblemError({ status: 403, code: "cors_origin_denied", title: "Forbidden", detail: "This origin is not allowed to call the API (CORS_ALLOWED_ORIGINS)" });
    }
    return services.cors(c, next);
  };
}
