/**
 * Bearer API keys and scopes. Each API route declares the scope it needs
 * (`requireScope("read")`); admin implies every scope. 401 (with
 * `WWW-Authenticate`) when the key is missing or wrong, 403 when its scopes fall short.
 */
import type { MiddlewareHandler } from "hono";
import { bearerToken, scopeGrants, type Scope } from "../../shared/api/api-keys.ts";
import type { AppEnv } from "../env.ts";
import { ProblemError } from "../../shared/api/problem.ts";
import { verifiedKey } from "./verified-key.ts";

const REALM = 'Bearer realm="netra-edge"';

export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined || header.trim() === "") {
      c.header("www-authenticate", REALM);
      throw new ProblemError({ status: 401, code: "missing_credentials", title: "Unauthorized", detail: "Send an API key as `Authorization: Bearer <key>`" });
    }
    const token = bearerToken(header);
    const principal = token === undefined ? undefined : await verifiedKey(c, token);
    if (principal === undefined) {
      c.header("www-authenticate", `${REALM}, error="invalid_token"`);
      throw new ProblemError({ status: 401, code: "invalid_credentials", title: "Unauthorized", detail: "The API key is invalid or revoked" });
    }
    if (!scopeGrants(principal.scopes, scope)) {
      c.header("www-authenticate", `${REALM}, error="insufficient_scope", scope="${scope}"`);
      throw new ProblemError({ status: 403, code: "insufficient_scope", title: "Forbidden", detail: `This route needs the "${scope}" scope` });
    }
    c.set("principal", principal);
    await next();
  };
}
