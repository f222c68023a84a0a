/**
 * hono's secure-headers on every response: HSTS, nosniff, frame and referrer
 * policies, cross-origin isolation headers, no X-Powered-By. API responses get a
 * CSP that allows nothing (JSON is never a document to render); pages that set
 * their own CSP (the dashboard) keep it: `overwrite: false` leaves any header a
 * handler already set.
 *
 * @example
 * app.use(securityHeaders());
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    overwrite: false,
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    xFrameOptions: "DENY",
  });
}
