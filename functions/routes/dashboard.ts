/**
 * The performance dashboard:
 * - GET  /dashboard                 the page (or the sign-in form without a session)
 * - POST /dashboard/login           exchanges an API key with the "ops" scope for a session cookie
 * - POST /dashboard/logout          ends the session
 * - GET  /dashboard/assets/:name    bundled uPlot and the page's script and styles
 * - GET  /dashboard/api/overview    chart series, alerts and index recommendations for ?range=
 *   (session cookie, or `Authorization: Bearer` with the "ops" scope)
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { scopeGrants } from "../../shared/api/api-keys.ts";
import { isRangeName, RANGES } from "../../shared/monitoring/dashboard-series.ts";
import type { ApiEnv } from "../api-env.ts";
import { configFor } from "../config.ts";
import { ASSETS } from "../dashboard/assets.ts";
import { overview } from "../dashboard/overview.ts";
import { CONTENT_SECURITY_POLICY, dashboardPage, loginPage } from "../dashboard/pages.ts";
import { issueSession, readSession, SESSION_COOKIE, SESSION_SECONDS, sessionsEnabled } from "../dashboard/session.ts";
import { logError } from "../log.ts";
import { requireScope } from "../middleware/auth.ts";
import { problem } from "../middleware/problem.ts";
import { servicesFor } from "../services.ts";

const PAGE_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function html(c: Context<ApiEnv>, body: string, status: 200 | 401 | 403 | 503 = 200): Response {
  return c.html(body, status, PAGE_HEADERS);
}

async function hasSession(c: Context<ApiEnv>): Promise<boolean> {
  const session = await readSession(configFor(c.env), getCookie(c, SESSION_COOKIE));
  return session !== undefined && scopeGrants(session.scopes, "ops");
}

/** Cookie session for the page's own calls; a bearer key for scripts. */
const dashboardAuth: MiddlewareHandler<ApiEnv> = async (c, next) => {
  if (c.req.header("authorization") !== undefined) return requireScope("ops")(c, next);
  if (!(await hasSession(c))) {
    return problem(c, { status: 401, code: "session_required", title: "Unauthorized", detail: "Sign in at /dashboard, or send an API key with the ops scope as `Authorization: Bearer <key>`" });
  }
  await next();
};

export const dashboardRoutes = new Hono<ApiEnv>()
  .get("/dashboard", async (c) => {
    if (await hasSession(c)) return html(c, dashboardPage());
    return html(c, loginPage({ disabled: !sessionsEnabled(configFor(c.env)) }));
  })
  .post("/dashboard/login", async (c) => {
    const config = configFor(c.env);
    if (!sessionsEnabled(config)) return html(c, loginPage({ disabled: true }), 503);
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const principal = key === "" ? undefined : await servicesFor(c.env).keys.verify(key);
    if (principal === undefined) return html(c, loginPage({ error: "That key is not valid." }), 401);
    if (!scopeGrants(principal.scopes, "ops")) return html(c, loginPage({ error: 'That key lacks the "ops" scope.' }), 403);
    const value = await issueSession(config, { sub: principal.keyId, scopes: principal.scopes, exp: Math.floor(Date.now() / 1000) + SESSION_SECONDS });
    setCookie(c, SESSION_COOKIE, value, {
      path: "/dashboard",
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      maxAge: SESSION_SECONDS,
    });
    return c.redirect("/dashboard", 303);
  })
  .post("/dashboard/logout", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/dashboard" });
    return c.redirect("/dashboard", 303);
  })
  .get("/dashboard/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (asset === undefined) return problem(c, { status: 404, code: "not_found", title: "Not Found", detail: "No such dashboard asset" });
    // URLs carry the content hash (?v=), so a long cache is safe.
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff" });
  })
  .get("/dashboard/api/overview", dashboardAuth, async (c) => {
    const range = c.req.query("range") ?? "1h";
    if (!isRangeName(range)) {
      return problem(c, { status: 400, code: "invalid_range", title: "Bad Request", detail: `range must be one of ${Object.keys(RANGES).join(", ")}` });
    }
    const requestId = c.get("requestId");
    const data = await overview(configFor(c.env), range, Date.now(), (what, error) => logError(`${what} unavailable`, error, { requestId }));
    return c.json(data, 200, { "cache-control": "no-store" });
  });
