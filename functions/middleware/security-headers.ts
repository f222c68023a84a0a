/**
 * hono's secure-headers on every response: HSTS, nosniff, frame and referrer
 * policies, cross-origin isolation headers, no X-Powered-By. API responses get a
 * CSP that allows nothing (JSON is never a document to render); pages that set
 * their own CSP (the dashboard) keep it: outside /v1, `overwrite: false` leaves any
 * header a handler already set. Under /v1 no handler sets one of these headers, so
 * they are set without asking first: half the header calls on the API's path.
 *
 * @example
 * app.use(securityHeaders());
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

const OPTIONS: Parameters<typeof secureHeaders>[0] = {
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: "DENY",
};

export function securityHeaders(): MiddlewareHandler {
  const api = secureHeaders({ ...OPTIONS, overwrite: true });
  const pages = secureHeaders({ ...OPTIONS, overwrite: false });
  return (c, next) => (c.req.path.startsWith("/v1/") ? api(c, next) : pages(c, next));
}
