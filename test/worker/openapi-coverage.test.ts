/**
 * Every route the app registers is in /openapi.json with its success response
 * and its documented errors; nothing is documented that is not served.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.ts";
import { METHODS, servedDocument, type OpenApiDocument } from "./openapi-helpers.ts";

/**
 * Routes deliberately left out of the document, `METHOD path` -> why. Empty: even
 * the dashboard's HTML page and static assets are documented (as text/html,
 * text/javascript and text/css).
 */
const EXCLUDED: Readonly<Record<string, string>> = {};

/** `/v1/users/:id` -> `/v1/users/{id}` (a `:name{regex}` keeps only the name). */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");

/** The app's registered (method, path) pairs; `use()` middleware registers as ALL on a wildcard. */
function registeredRoutes(): { routes: string[]; middleware: string[] } {
  const routes = new Set<string>();
  const middleware = new Set<string>();
  for (const { method, path } of createApp().routes) {
    if (method === "ALL" && path.endsWith("*")) middleware.add(path);
    else routes.add(`${method} ${openApiPath(path)}`);
  }
  return { routes: [...routes].sort(), middleware: [...middleware] };
}

let doc: OpenApiDocument;
beforeAll(async () => {
  doc = await servedDocument();
});

const documented = (key: string) => {
  const [method, path] = key.split(" ") as [string, string];
  return doc.paths[path]?.[method.toLowerCase()];
};

describe("/openapi.json covers every registered route", () => {
  const { routes, middleware } = registeredRoutes();

  it("finds the app's routes (the walk itself works)", () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toContain("GET /v1/users/{id}");
    expect(routes).toContain("GET /dashboard/assets/{name}");
    // Only wildcard middleware is skipped: an app.all("/x") route would be listed as a route.
    expect(middleware.every((path) => path.endsWith("*"))).toBe(true);
  });

  for (const key of routes) {
    if (EXCLUDED[key] !== undefined) continue;
    it(`documents ${key} with a success response and its errors`, () => {
      const method = key.split(" ")[0]!;
      expect(["GET", "POST", "PUT", "PATCH", "DELETE"], `${key}: a method OpenAPI can document`).toContain(method);
      const op = documented(key);
      expect(op, `${key} is missing from /openapi.json`).toBeDefined();
      const statuses = Object.keys(op!.responses);
      expect(statuses.some((s) => /^[23]\d\d$/.test(s)), `${key}: a success response`).toBe(true);
      // The cross-cutting problems every route may answer.
      for (const status of ["413", "429", "500", "503"]) expect(statuses, `${key}: ${status}`).toContain(status);
      if (op!.security !== undefined && op!.security.length > 0) {
        for (const status of ["401", "403"]) expect(statuses, `${key}: ${status}`).toContain(status);
      }
      if (op!.requestBody !== undefined) expect(statuses, `${key}: 415`).toContain("415");
    });
  }

  it("lists only exclusions that still exist", () => {
    for (const key of Object.keys(EXCLUDED)) expect(routes, `stale exclusion ${key}`).toContain(key);
  });

  it("documents nothing the app does not serve", () => {
    const served = new Set(routes);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item).filter((m) => (METHODS as readonly string[]).includes(m))) {
        expect(served.has(`${method.toUpperCase()} ${path}`), `${method.toUpperCase()} ${path} is documented but not routed`).toBe(true);
      }
    }
  });

  it("fails for a route registered without a definition", () => {
    const app = createApp();
    app.get("/v1/undocumented", (c) => c.text("hidden"));
    const keys = app.routes.filter((r) => !(r.method === "ALL" && r.path.endsWith("*"))).map((r) => `${r.method} ${openApiPath(r.path)}`);
    expect(keys).toContain("GET /v1/undocumented");
    expect(documented("GET /v1/undocumented")).toBeUndefined();
  });
});
