import { describe, expect, it } from "vitest";
import { ADMIN_KEY, call, createKey } from "./api-helpers.ts";

describe("API keys and scopes", () => {
  it("answers 401 missing_credentials without an Authorization header", async () => {
    const res = await call("/v1/users/1", { key: null });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
    expect(res.json).toMatchObject({ status: 401, code: "missing_credentials", type: "urn:netra-edge:problem:missing_credentials" });
  });

  it("answers 401 invalid_credentials for a wrong, malformed or unknown key", async () => {
    const token = await createKey(["read"]);
    const wrongSecret = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    for (const key of ["nope", `${ADMIN_KEY}x`, wrongSecret, `nk_0000000000000000_${"A".repeat(43)}`]) {
      const res = await call("/v1/users/1", { key });
      expect(res.status, key).toBe(401);
      expect(res.json.code).toBe("invalid_credentials");
    }
    const notBearer = await call("/v1/users/1", { key: null, headers: { authorization: `Basic ${btoa("a:b")}` } });
    expect(notBearer.status).toBe(401);
    expect(notBearer.json.code).toBe("invalid_credentials");
  });

  it("answers 403 insufficient_scope when the key lacks the route's scope", async () => {
    const readOnly = await createKey(["read"]);
    const write = await call("/v1/users", { method: "POST", key: readOnly, body: { email: "x@y.z", planTier: "pro", role: "member" } });
    expect(write.status).toBe(403);
    expect(write.json).toMatchObject({ code: "insufficient_scope", detail: expect.stringContaining('"write"') });
    expect((await call("/v1/ops/cache", { key: readOnly })).status).toBe(403);
    expect((await call("/v1/admin/keys", { method: "POST", key: readOnly, body: { name: "n", scopes: ["read"] } })).status).toBe(403);
  });

  it("lets a created key do what its scopes allow, and admin everything", async () => {
    const opsKey = await createKey(["ops", "read"]);
    expect((await call("/v1/ops/queries", { key: opsKey })).status).toBe(200);
    expect((await call("/v1/ping", { key: opsKey })).status).toBe(200);
    expect((await call("/v1/ops/cache", { key: ADMIN_KEY })).status).toBe(200);
    const created = await call("/v1/admin/keys", { method: "POST", body: { name: "svc", scopes: ["write"] } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ keyId: expect.stringMatching(/^[0-9a-f]{16}$/), name: "svc", scopes: ["write"] });
    expect(String(created.json.token)).toMatch(/^nk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  });

  it("serves /ping without a key and documents every /v1 route in /openapi.json with its scope", async () => {
    expect((await call("/ping", { key: null })).status).toBe(200);
    const doc = await call("/openapi.json", { key: null });
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe("3.1.0");
    const paths = doc.json.paths as Record<string, Record<string, { "x-required-scope"?: string; security?: unknown }>>;
    // A subset: openapi-coverage.test.ts checks that every registered route is documented.
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(
      [
        "/ping",
        "/v1/admin/keys",
        "/v1/agent-states",
        "/v1/agent-states/{sessionId}",
        "/v1/audit-logs",
        "/v1/ops/cache",
        "/v1/ops/queries",
        "/v1/ping",
        "/v1/users",
        "/v1/users/by-email",
        "/v1/users/{id}",
      ],
    ));
    for (const [path, ops] of Object.entries(paths)) {
      if (!path.startsWith("/v1/")) continue;
      for (const op of Object.values(ops)) expect(op["x-required-scope"], path).toMatch(/^(read|write|ops|admin)$/);
    }
  });
});
