import { describe, expect, it } from "vitest";
import { call, createUser } from "./api-helpers.ts";

type Issue = { in: string; path: string; message: string };

function issues(json: Record<string, unknown>): Issue[] {
  return json.errors as Issue[];
}

describe("input validation", () => {
  it("names each bad body field in a 400 validation_failed", async () => {
    const res = await call("/v1/users", { method: "POST", body: { email: "not-an-email", planTier: "gold", extra: 1 } });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.json).toMatchObject({ code: "validation_failed", status: 400, type: "urn:netra-edge:problem:validation_failed" });
    const byPath = Object.fromEntries(issues(res.json).map((i) => [i.path, i]));
    expect(byPath.email).toEqual({ in: "body", path: "email", message: "must be an email address" });
    expect(byPath.planTier).toMatchObject({ in: "body", message: expect.stringContaining("must be one of") });
    expect(byPath.role).toEqual({ in: "body", path: "role", message: "is required" });
    expect(byPath.extra).toEqual({ in: "body", path: "extra", message: "is not a known field" });
  });

  it("refuses text Postgres cannot store intact, naming the field", async () => {
    const nul = await call("/v1/users", { method: "POST", body: { email: "a@b.c", planTier: "pro", role: "member", displayName: "a\u0000b" } });
    expect(nul.status).toBe(400);
    expect(issues(nul.json)).toEqual([{ in: "body", path: "displayName", message: "must not contain NUL (U+0000)" }]);
    const surrogate = await call("/v1/audit-logs", { method: "POST", body: '{"action":"x","resource":"r","metadata":{"k":["\\ud800"]}}' });
    expect(surrogate.status).toBe(400);
    expect(issues(surrogate.json)[0]).toMatchObject({ in: "body", path: "metadata.k.0" });
  });

  it("rejects an empty PATCH and bad path ids", async () => {
    const user = await createUser();
    const empty = await call(`/v1/users/${user.id}`, { method: "PATCH", body: {} });
    expect(empty.status).toBe(400);
    expect(issues(empty.json)[0]?.message).toBe("must change at least one field");
    for (const id of ["abc", "0", "-1", "1.5", "99999999999999999999", "9223372036854775808"]) {
      const res = await call(`/v1/users/${id}`);
      expect(res.status, id).toBe(400);
      expect(issues(res.json)[0]).toMatchObject({ in: "path", path: "id" });
    }
  });

  it("names bad query parameters", async () => {
    for (const [query, path] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["limit=ten", "limit"],
      ["role=root", "role"],
      ["cursor=***", "cursor"],
    ] as const) {
      const res = await call(`/v1/users?${query}`);
      expect(res.status, query).toBe(400);
      expect(issues(res.json)[0], query).toMatchObject({ in: "query", path });
    }
    const range = await call("/v1/audit-logs?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z");
    expect(issues(range.json)[0]).toMatchObject({ in: "query", path: "to", message: "must be after from" });
    const noUser = await call("/v1/agent-states");
    expect(issues(noUser.json)[0]).toMatchObject({ in: "query", path: "userId", message: "is required" });
  });

  it("refuses a forged cursor or one issued for other filters", async () => {
    for (let i = 0; i < 3; i++) await createUser({ planTier: "free", role: "viewer" });
    const page = await call("/v1/users?planTier=free&role=viewer&limit=1");
    const cursor = page.json.nextCursor as string;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const other = await call(`/v1/users?planTier=pro&role=viewer&limit=1&cursor=${cursor}`);
    expect(other.status).toBe(400);
    expect(other.json).toMatchObject({ code: "invalid_cursor" });
    expect(issues(other.json)[0]).toMatchObject({ in: "query", path: "cursor" });
    const forged = btoa(JSON.stringify({ v: 1, k: ["1; DROP TABLE users"], f: "x" })).replace(/=+$/, "");
    expect((await call(`/v1/users?cursor=${forged}`)).status).toBe(400);
  });

  it("answers 415 for a non-JSON body and 400 malformed_json for broken JSON", async () => {
    const text = await call("/v1/users", { method: "POST", body: "email=a@b.c", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    expect(text.json.code).toBe("unsupported_media_type");
    const form = await call("/v1/audit-logs", { method: "POST", body: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    const broken = await call("/v1/users", { method: "POST", body: '{"email": ' });
    expect(broken.status).toBe(400);
    expect(broken.json.code).toBe("malformed_json");
    const notObject = await call("/v1/users", { method: "POST", body: "[1,2]" });
    expect(notObject.status).toBe(400);
    expect(notObject.json.code).toBe("validation_failed");
  });
});
