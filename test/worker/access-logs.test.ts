import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_KEY, apiEnv, call, createKey } from "./api-helpers.ts";

function capture(): string[] {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

describe("request logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes one JSON line per request with its request id, status and key id", async () => {
    const env = apiEnv({ LOG_REQUESTS: "1" });
    const token = await createKey(["read"]);
    const lines = capture();
    const res = await call("/v1/ping?x=1", { env, key: token, headers: { "x-request-id": "access-log-test-1" } });
    expect(res.status).toBe(200);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e.message === "request");
    expect(entries).toEqual([
      { level: "info", message: "request", requestId: "access-log-test-1", method: "GET", path: "/v1/ping", status: 200, durationMs: expect.any(Number), keyId: token.split("_")[1] },
    ]);
  });

  it("by default (errors) logs a failed request and a slow one, not a quick success", async () => {
    const token = await createKey(["read"]);
    const lines = capture();
    const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e.message === "request");
    expect((await call("/v1/ping", { env: apiEnv({ LOG_REQUESTS: undefined }), key: token, headers: { "x-request-id": "quick-ok" } })).status).toBe(200);
    expect(entries()).toEqual([]);
    // The database is unreachable: verifying a key it has not cached answers 503.
    const down = apiEnv({ LOG_REQUESTS: undefined, DATABASE_URL: "postgres://netra:x@127.0.0.1:8879/nowhere" });
    const failed = await call("/v1/ping", { env: down, key: token, headers: { "x-request-id": "failed" } });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(entries()).toEqual([expect.objectContaining({ level: "error", requestId: "failed", status: failed.status })]);
    // A database read over the Neon proxy takes well over 1 ms.
    const slow = apiEnv({ LOG_REQUESTS: "errors", LOG_SLOW_REQUEST_MS: "1" });
    expect((await call("/v1/users?limit=1", { env: slow, key: token, headers: { "x-request-id": "slow" } })).status).toBe(200);
    expect(entries().map((e) => [e.requestId, e.level])).toEqual([["failed", "error"], ["slow", "info"]]);
  });

  it("never prints a token, the admin key or an Authorization header, whatever the request does", async () => {
    const env = apiEnv({ LOG_REQUESTS: "1", DASHBOARD_SESSION_SECRET: "s".repeat(40) });
    const token = await createKey(["read"]);
    // nk_<key id>_<secret>: the secret is base64url and may itself contain "_".
    const secretOf = (t: string) => t.split("_").slice(2).join("_");
    const secret = secretOf(token);
    const wrong = `${token.slice(0, -4)}${token.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    const lines = capture();
    await call("/v1/ping", { env, key: token });
    await call("/v1/ping", { env, key: ADMIN_KEY });
    await call("/v1/users/not-a-number", { env, key: token });
    await call("/v1/ping", { env, key: wrong });
    await call(`/v1/users/${token}`, { env, key: ADMIN_KEY });
    await call(`/ping?key=${encodeURIComponent(token)}`, { env, key: null });
    await call("/dashboard/login", { env, method: "POST", key: null, headers: { "content-type": "application/x-www-form-urlencoded" }, body: `key=${encodeURIComponent(ADMIN_KEY)}` });
    await call("/v1/users", { env, method: "POST", key: token, body: { email: token } });
    // A failing dependency is logged with its error: the database password (a remembered secret) must not appear.
    await call("/v1/ping", { env: apiEnv({ LOG_REQUESTS: "1", DATABASE_URL: "postgres://netra:pg-secret-value@127.0.0.1:8879/nowhere" }), key: wrong });

    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const line of lines) {
      expect(() => JSON.parse(line), line).not.toThrow();
      expect(line).not.toContain(secret);
      expect(line).not.toContain(secretOf(wrong));
      expect(line).not.toContain(ADMIN_KEY);
      expect(line).not.toContain("pg-secret-value");
      expect(line.toLowerCase()).not.toContain("bearer ");
      expect(line.toLowerCase()).not.toContain("authorization");
    }
  });
});
