import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../functions/index.ts";
import { DEPENDENCY_NAMES, request, type HealthReport } from "./helpers.ts";

describe("GET /health", () => {
  it("answers 200 with all four dependencies ok against the running stack", async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request("http://edge.test/health"), env, ctx);
    await waitOnExecutionContext(ctx);
    const body = await response.json<HealthReport>();

    expect(body.checks).toEqual({
      postgres: { status: "ok", latencyMs: expect.any(Number) },
      redis: { status: "ok", latencyMs: expect.any(Number) },
      clickhouse: { status: "ok", latencyMs: expect.any(Number) },
      rooms: { status: "ok", latencyMs: expect.any(Number) },
    });
    expect(body.status).toBe("ok");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 503 with the dead dependency down and the others ok", async () => {
    const response = await request("/health", { overrides: { CLICKHOUSE_URL: "http://127.0.0.1:1" } });
    const body = await response.json<HealthReport>();

    expect(response.status).toBe(503);
    expect(body.status).toBe("degraded");
    expect(body.checks.clickhouse).toMatchObject({ status: "down", error: expect.any(String) });
    expect(body.checks.postgres.status).toBe("ok");
    expect(body.checks.redis.status).toBe("ok");
    expect(body.checks.rooms.status).toBe("ok");
  });

  it("reports a hung dependency down at the check timeout instead of hanging", async () => {
    const timeoutMs = 400;
    // Timed to the answer: the request's own metrics then wait in waitUntil for the same hung
    // ClickHouse, which is background work, not the health check's latency.
    const ctx = createExecutionContext();
    const started = Date.now();
    const response = await worker.fetch(new Request("http://edge.test/health"), { ...env, HEALTH_CHECK_TIMEOUT_MS: String(timeoutMs), CLICKHOUSE_URL: env.TEST_BLACKHOLE_URL }, ctx);
    const elapsed = Date.now() - started;
    const body = await response.json<HealthReport>();

    expect(response.status).toBe(503);
    expect(body.checks.clickhouse).toMatchObject({ status: "down", error: `timed out after ${timeoutMs} ms` });
    expect(body.checks.rooms.status).toBe("ok");
    expect(body.checks.clickhouse.latencyMs).toBeGreaterThanOrEqual(timeoutMs - 5);
    expect(body.checks.postgres.status).toBe("ok");
    expect(body.checks.redis.status).toBe("ok");
    expect(elapsed).toBeLessThan(timeoutMs + 1000);
  });

  it("reports an unconfigured dependency as down with 'not configured'", async () => {
    const response = await request("/health", { overrides: { CLICKHOUSE_URL: "", Main: undefined } });
    const body = await response.json<HealthReport>();

    expect(response.status).toBe(503);
    expect(Object.keys(body.checks).sort()).toEqual(DEPENDENCY_NAMES);
    expect(body.checks.clickhouse).toEqual({ status: "down", latencyMs: expect.any(Number), error: "not configured" });
    expect(body.checks.rooms).toEqual({ status: "down", latencyMs: expect.any(Number), error: "not configured" });
  });

  it("answers 500 config_invalid naming the variable when the config is invalid", async () => {
    const response = await request("/health", { overrides: { DATABASE_URL: "", HEALTH_CHECK_TIMEOUT_MS: "soon" } });
    const body = await response.json<Record<string, unknown>>();

    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(body).toMatchObject({ status: 500, code: "config_invalid", instance: "/health" });
    expect(String(body.detail)).toContain("DATABASE_URL is required");
    expect(String(body.detail)).toContain("HEALTH_CHECK_TIMEOUT_MS must be a number");
    expect(String(body.detail)).not.toContain("soon");
  });
});
