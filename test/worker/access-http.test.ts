import { describe, expect, it } from "vitest";
import { env as bindings } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import type { Env } from "../../functions/env.ts";
import worker from "../../functions/index.ts";
import { ADMIN_KEY, apiEnv, call } from "./api-helpers.ts";

const APP_ORIGIN = "https://app.example.com";

async function raw(request: Request, env: Env): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("security headers", () => {
  it("puts hono's secure headers on API answers, problems and public routes", async () => {
    for (const [path, key] of [["/v1/ping", ADMIN_KEY], ["/ping", null], ["/v1/nowhere", ADMIN_KEY], ["/v1/ping", null]] as const) {
      const res = await call(path, { key });
      const h = res.headers;
      expect(h.get("strict-transport-security"), path).toMatch(/^max-age=\d+/);
      expect(h.get("x-content-type-options"), path).toBe("nosniff");
      expect(h.get("x-frame-options"), path).toBe("DENY");
      expect(h.get("referrer-policy"), path).toBe("no-referrer");
      expect(h.get("cross-origin-opener-policy"), path).toBe("same-origin");
      expect(h.get("content-security-policy"), path).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(h.get("x-powered-by"), path).toBeNull();
    }
  });

  it("leaves the dashboard page its own content security policy", async () => {
    const res = await call("/dashboard", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    new Request("http://edge.test/v1/users/1", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });

  it("sends no CORS headers at all by default", async () => {
    const res = await raw(preflight(APP_ORIGIN), apiEnv());
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const get = await call("/ping", { key: null, headers: { origin: APP_ORIGIN } });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight from an allowed origin, and exposes the rate-limit headers", async () => {
    const env = apiEnv({ CORS_ALLOWED_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` });
    const res = await raw(preflight(APP_ORIGIN), env);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(res.headers.get("access-control-allow-headers")).toContain("x-netra-consistency");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toContain("Origin");

    const get = await call("/v1/ping", { env, headers: { origin: APP_ORIGIN } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(get.headers.get("access-control-expose-headers")).toContain("ratelimit-remaining");
    expect(get.headers.get("access-control-expose-headers")).toContain("retry-after");
    expect(get.headers.get("access-control-expose-headers")).toContain("x-netra-consistency");
  });

  it("refuses a preflight from any other origin with 403 cors_origin_denied and grants it nothing", async () => {
    const env = apiEnv({ CORS_ALLOWED_ORIGINS: APP_ORIGIN });
    const res = await raw(preflight("https://evil.example"), env);
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("cors_origin_denied");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const get = await call("/ping", { env, key: null, headers: { origin: "https://evil.example" } });
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("request body limit", () => {
  const env = () => apiEnv({ BODY_MAX_BYTES: "2048" });

  it("answers 413 payload_too_large for a declared body over the limit, before auth or validation", async () => {
    const body = JSON.stringify({ email: "a@b.c", planTier: "pro", role: "member", displayName: "x".repeat(4000) });
    for (const key of [ADMIN_KEY, null]) {
      const res = await call("/v1/users", { env: env(), method: "POST", key, body });
      expect(res.status).toBe(413);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.json).toMatchObject({ status: 413, code: "payload_too_large", type: "urn:netra-edge:problem:payload_too_large" });
    }
  });

  it("cuts a streamed body without Content-Length at the limit", async () => {
    const chunk = new TextEncoder().encode("x".repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 64) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const request = new Request("http://edge.test/v1/users", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: stream,
      // @ts-expect-error: workerd's RequestInit takes duplex like undici's
      duplex: "half",
    });
    const res = await raw(request, env());
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(64);
  });

  it("lets a body within the limit through to the route", async () => {
    const res = await call("/v1/users", { env: env(), method: "POST", body: { email: "not-an-email" } });
    expect(res.status).toBe(400);
  });
});

describe("request timeout", () => {
  it("answers 503 request_timeout with Retry-After when a request outlives REQUEST_TIMEOUT_MS, and keeps serving", async () => {
    // The request's metrics go to the same hung ClickHouse: one short attempt, so the execution
    // context (which call() waits for) is not held by the sink's retries for its whole budget.
    const env = apiEnv({
      CLICKHOUSE_URL: bindings.TEST_BLACKHOLE_URL,
      HEALTH_CHECK_TIMEOUT_MS: "5000",
      REQUEST_TIMEOUT_MS: "150",
      CLICKHOUSE_REQUEST_TIMEOUT_MS: "500",
      ANALYTICS_MAX_ATTEMPTS: "1",
    });
    const res = await call("/health", { env, key: null });
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.json).toMatchObject({ code: "request_timeout", type: "urn:netra-edge:problem:request_timeout" });
    expect((await call("/v1/ping", { env })).status).toBe(200);
  });
});
