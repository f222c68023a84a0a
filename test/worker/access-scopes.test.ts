/**
 * Every route of the app declares who may call it: a public route, or a scope.
 * The table below is the declaration the test holds the app to; a route that is
 * added without an entry here fails the first test.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.ts";
import { call, createKey } from "./api-helpers.ts";

type Scope = "read" | "write" | "ops" | "admin";

/** Anyone may call these: health, the no-op, the API document, and the dashboard's sign-in page, form and assets. */
const PUBLIC = ["GET /health", "GET /ping", "GET /openapi.json", "GET /dashboard", "POST /dashboard/login", "POST /dashboard/logout", "GET /dashboard/assets/:name"];

const SCOPED: Record<string, Scope> = {
  "GET /v1/ping": "read",
  "GET /v1/users/by-email": "read",
  "GET /v1/users/:id": "read",
  "GET /v1/users": "read",
  "GET /v1/audit-logs": "read",
  "GET /v1/agent-states/:sessionId": "read",
  "GET /v1/agent-states": "read",
  "POST /v1/rooms/:room/token": "read",
  "POST /v1/users": "write",
  "PATCH /v1/users/:id": "write",
  "POST /v1/audit-logs": "write",
  "PUT /v1/agent-states/:sessionId": "write",
  "GET /v1/ops/cache": "ops",
  "GET /v1/ops/queries": "ops",
  "GET /v1/ops/alerts": "ops",
  "GET /v1/ops/indexes": "ops",
  "GET /v1/ops/indexes/runs/:id": "ops",
  "POST /v1/ops/indexes/runs": "ops",
  "GET /v1/ops/metrics": "ops",
  "GET /v1/ops/metrics/pipeline": "ops",
  "GET /dashboard/api/overview": "ops",
  "POST /v1/admin/keys": "admin",
  "GET /v1/admin/keys": "admin",
  "POST /v1/admin/keys/:keyId/rotate": "admin",
  "DELETE /v1/admin/keys/:keyId": "admin",
};

/** Every scope but the one needed: the best key that must still be refused. */
const ALL_BUT: Record<Scope, Scope[]> = { read: ["write", "ops"], write: ["read", "ops"], ops: ["read", "write"], admin: ["read", "write", "ops"] };

const PARAMS: Record<string, string> = { id: "1", sessionId: "sess-scope-test", keyId: "0123456789abcdef", room: "scope-test", name: "nothing.js" };

function concrete(path: string): string {
  return path.replace(/:(\w+)/g, (_, name: string) => PARAMS[name] ?? "x");
}

/** A request that is harmless even when authorised: invalid bodies and headers stop at validation. */
function request(route: string, key: string | null) {
  const [method, path] = route.split(" ") as [string, string];
  const headers: Record<string, string> = route === "POST /v1/ops/indexes/runs" ? { "idempotency-key": "x".repeat(200) } : {};
  const body = ["POST", "PUT", "PATCH"].includes(method) && !route.startsWith("POST /dashboard") && route !== "POST /v1/ops/indexes/runs" ? { unexpected: true } : undefined;
  return call(concrete(path), { method, key, headers, ...(body ? { body } : {}) });
}

const AUTH_CODES = ["missing_credentials", "invalid_credentials", "session_required", "insufficient_scope"];

describe("every route declares its scope", () => {
  const keys = {} as Record<Scope, string> & { allBut: Record<Scope, string> };

  beforeAll(async () => {
    keys.allBut = {} as Record<Scope, string>;
    for (const scope of ["read", "write", "ops", "admin"] as const) {
      keys[scope] = await createKey([scope]);
      keys.allBut[scope] = await createKey(ALL_BUT[scope]);
    }
  });

  it("has an entry for each route of the app, and no stale ones", () => {
    const routes = [...new Set(createApp().routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`))].sort();
    expect(routes).toEqual([...PUBLIC, ...Object.keys(SCOPED)].sort());
  });

  it("answers 401 to a scoped route called without a key", async () => {
    for (const route of Object.keys(SCOPED)) {
      const res = await request(route, null);
      expect(res.status, route).toBe(401);
      expect(["missing_credentials", "session_required"], route).toContain(res.json.code);
    }
  });

  it("answers 403 insufficient_scope to a key holding every scope but the route's", async () => {
    for (const [route, scope] of Object.entries(SCOPED)) {
      const res = await request(route, keys.allBut[scope]);
      expect(res.status, route).toBe(403);
      expect(res.json.code, route).toBe("insufficient_scope");
    }
  });

  it("lets a key with exactly the route's scope past authentication", async () => {
    for (const [route, scope] of Object.entries(SCOPED)) {
      const res = await request(route, keys[scope]);
      expect([401, 403], `${route}: ${JSON.stringify(res.json)}`).not.toContain(res.status);
    }
  });

  it("serves public routes without a key", async () => {
    for (const route of PUBLIC) {
      const res = await request(route, null);
      const code = typeof res.json === "object" && res.json !== null ? res.json.code : undefined;
      expect(AUTH_CODES, route).not.toContain(code);
      expect(res.headers.get("www-authenticate"), route).toBeNull();
    }
  });
});
