/**
 * The performance dashboard:
 * - GET  /dashboard                 the page (or the sign-in form without a session)
 * - POST /dashboard/login           exchanges an API key with the "ops" scope for a session cookie
 * - POST /dashboard/logout          ends the session
 * - GET  /dashboard/assets/:name    bundled uPlot and the page's script and styles
 * - GET  /dashboard/api/overview    chart series, alerts and index recommendations for ?range=
 *   (session cookie, or `Authorization: Bearer` with the "ops" scope)
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { scopeGrants } from "../../shared/api/api-keys.ts";
import { AssetParams, LoginForm, Overview, OverviewQuery } from "../../shared/api/schemas/dashboard.ts";
import type { AppEnv } from "../env.ts";
import { configFor } from "../config.ts";
import { ASSETS } from "../dashboard/assets.ts";
import { overview } from "../dashboard/overview.ts";
import { CONTENT_SECURITY_POLICY, dashboardPage, loginPage } from "../dashboard/pages.ts";
import { issueSession, readSession, SESSION_COOKIE, SESSION_SECONDS, sessionsEnabled } from "../dashboard/session.ts";
import { logError } from "../log.ts";
import { requireScope } from "../middleware/auth.ts";
import { ProblemError } from "../../shared/api/problem.ts";
import { validationHook } from "../middleware/validation.ts";
import { requireServices } from "../middleware/services.ts";
import { jsonContent, problemCodes, publicRoute, rejectAs } from "./v1/define.ts";

const PAGE_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

function html(c: Context<AppEnv>, body: string, status: 200 | 401 | 403 | 503 = 200): Response {
  return c.html(body, status, PAGE_HEADERS);
}

async function hasSession(c: Context<AppEnv>): Promise<boolean> {
  const session = await readSession(configFor(c.env), getCookie(c, SESSION_COOKIE));
  return session !== undefined && scopeGrants(session.scopes, "ops");
}

/** Cookie session for the page's own calls; a bearer key for scripts. */
const dashboardAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header("authorization") !== undefined) return requireScope("ops")(c, next);
  if (!(await hasSession(c))) {
    throw new ProblemError({ status: 401, code: "session_required", title: "Unauthorized", detail: "Sign in at /dashboard, or send an API key with the ops scope as `Authorization: Bearer <key>`" });
  }
  await next();
};

const htmlPage = (description: string) => ({ description, content: { "text/html": { schema: { type: "string" as const } } } });
const seeOther = (description: string) => ({
  description,
  headers: { Location: { description: "/dashboard", schema: { type: "string" as const } } },
});

/** Either one: the page's own calls carry the cookie, scripts a bearer key. */
const SESSION_OR_BEARER: Record<string, string[]>[] = [{ dashboardSession: [] }, { bearerAuth: [] }];

const page = publicRoute({
  method: "get",
  path: "/dashboard",
  operationId: "dashboardPage",
  tags: ["dashboard"],
  summary: "The dashboard page, or the sign-in form without a session",
  responses: { 200: htmlPage("The page (with a session) or the sign-in form") },
});

const login = publicRoute({
  method: "post",
  path: "/dashboard/login",
  operationId: "dashboardLogin",
  tags: ["dashboard"],
  summary: "Exchange an API key with the ops scope for a session cookie",
  request: {
    body: {
      required: true,
      content: { "application/x-www-form-urlencoded": { schema: LoginForm }, "multipart/form-data": { schema: LoginForm } },
    },
  },
  responses: {
    303: {
      ...seeOther("Signed in: the session cookie is set"),
      headers: {
        ...seeOther("").headers,
        "Set-Cookie": { description: `${SESSION_COOKIE}: HttpOnly, SameSite=Strict, Path=/dashboard`, schema: { type: "string" as const } },
      },
    },
    // A script's malformed post (a repeated field, broken multipart): problem+json, as everywhere else.
    ...problemCodes("validation_failed", "bad_request"),
    401: htmlPage("The sign-in form: the key is not valid"),
    403: htmlPage('The sign-in form: the key lacks the "ops" scope'),
    503: htmlPage("The sign-in form, disabled: sessions are not configured"),
  },
});

const logout = publicRoute({
  method: "post",
  path: "/dashboard/logout",
  operationId: "dashboardLogout",
  tags: ["dashboard"],
  summary: "End the dashboard session",
  responses: { 303: seeOther("Signed out: the session cookie is cleared") },
});

const asset = publicRoute({
  method: "get",
  path: "/dashboard/assets/{name}",
  operationId: "dashboardAsset",
  tags: ["dashboard"],
  summary: "Bundled uPlot and the page's script and styles (cached for a day; URLs carry the content hash)",
  request: { params: AssetParams },
  responses: {
    200: { description: "The asset", content: { "text/javascript": { schema: { type: "string" as const } }, "text/css": { schema: { type: "string" as const } } } },
    ...problemCodes("not_found"),
  },
});

const overviewRoute = publicRoute({
  method: "get",
  path: "/dashboard/api/overview",
  operationId: "dashboardOverview",
  tags: ["dashboard"],
  summary: "Chart series, alerts and index recommendations for a range",
  security: SESSION_OR_BEARER,
  "x-required-scope": "ops",
  middleware: [dashboardAuth],
  request: { query: OverviewQuery },
  responses: { 200: jsonContent(Overview, "The overview"), ...problemCodes("invalid_range", "session_required") },
});

// Annotated: the inferred route-schema type of this chain is too complex for app.route().
export const dashboardRoutes: OpenAPIHono<AppEnv> = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(page, async (c) => {
    if (await hasSession(c)) return html(c, dashboardPage());
    return html(c, loginPage({ disabled: !sessionsEnabled(configFor(c.env)) }));
  })
  .openapi(login, async (c) => {
    const config = configFor(c.env);
    if (!sessionsEnabled(config)) return html(c, loginPage({ disabled: true }), 503);
    const key = c.req.valid("form").key?.trim() ?? "";
    const principal = key === "" ? undefined : await requireServices(c).keys.verify(key);
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
  .openapi(logout, (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/dashboard" });
    return c.redirect("/dashboard", 303);
  })
  .openapi(asset, (c) => {
    const found = ASSETS[c.req.valid("param").name];
    if (found === undefined) throw new ProblemError({ status: 404, code: "not_found", title: "Not Found", detail: "No such dashboard asset" });
    // URLs carry the content hash (?v=), so a long cache is safe.
    return c.body(found.body, 200, { "content-type": found.type, "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff" });
  })
  .openapi(
    overviewRoute,
    async (c) => {
      const { range } = c.req.valid("query");
      const requestId = c.get("requestId");
      const data = await overview(requireServices(c), range, Date.now(), (what, error) => logError(`${what} unavailable`, error, { requestId }));
      return c.json(data, 200, { "cache-control": "no-store" });
    },
    rejectAs("invalid_range"),
  );
