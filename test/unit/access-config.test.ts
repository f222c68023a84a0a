import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../shared/config.ts";

const DATABASE_URL = "postgres://u:p@localhost:5432/db";

function issues(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATABASE_URL, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => i.variable);
    throw error;
  }
  return [];
}

describe("access config", () => {
  it("has safe defaults: limits on, no CORS, 1 MiB bodies, 10 s requests, 30 s key cache", () => {
    const { access } = loadConfig({ DATABASE_URL });
    expect(access).toEqual({
      keyCacheTtlMs: 30_000,
      rateLimit: {
        perKey: { requests: 3000, windowSeconds: 60 },
        perIp: { requests: 300, windowSeconds: 60 },
        login: { requests: 10, windowSeconds: 60 },
        timeoutMs: 200,
        prefix: "netra:rl",
      },
      clientIpHeader: "cf-connecting-ip",
      corsAllowedOrigins: [],
      bodyMaxBytes: 1024 * 1024,
      requestTimeoutMs: 10_000,
      logRequests: "errors",
      logSlowRequestMs: 1000,
    });
  });

  it("parses the CORS allow-list, trimming entries and a trailing slash", () => {
    const { access } = loadConfig({ DATABASE_URL, CORS_ALLOWED_ORIGINS: " https://app.example.com/, http://localhost:5173 ,," });
    expect(access.corsAllowedOrigins).toEqual(["https://app.example.com", "http://localhost:5173"]);
    expect(loadConfig({ DATABASE_URL, CORS_ALLOWED_ORIGINS: "*" }).access.corsAllowedOrigins).toEqual(["*"]);
  });

  it("rejects origins with paths, other schemes or garbage", () => {
    for (const bad of ["https://a.example/path", "ftp://a.example", "a.example", "https://a.example, nope"]) {
      expect(issues({ CORS_ALLOWED_ORIGINS: bad }), bad).toEqual(["CORS_ALLOWED_ORIGINS"]);
    }
  });

  it("lets a limit be turned off with 0 and validates the rest", () => {
    expect(loadConfig({ DATABASE_URL, RATE_LIMIT_KEY_REQUESTS: "0" }).access.rateLimit.perKey.requests).toBe(0);
    expect(issues({ RATE_LIMIT_IP_WINDOW_SECONDS: "0" })).toEqual(["RATE_LIMIT_IP_WINDOW_SECONDS"]);
    expect(issues({ CLIENT_IP_HEADER: "x-client-ip" })).toEqual(["CLIENT_IP_HEADER"]);
    expect(issues({ RATE_LIMIT_PREFIX: "has space" })).toEqual(["RATE_LIMIT_PREFIX"]);
    expect(issues({ BODY_MAX_BYTES: "10" })).toEqual(["BODY_MAX_BYTES"]);
  });

  it("reads LOG_REQUESTS as a mode, keeping the meaning of the booleans it accepted before", () => {
    const mode = (value: string) => loadConfig({ DATABASE_URL, LOG_REQUESTS: value }).access.logRequests;
    expect(mode("all")).toBe("all");
    expect(mode("errors")).toBe("errors");
    expect(mode("off")).toBe("off");
    expect(mode("1")).toBe("all");
    expect(mode("true")).toBe("all");
    expect(mode("0")).toBe("off");
    expect(mode("false")).toBe("off");
    expect(issues({ LOG_REQUESTS: "some" })).toEqual(["LOG_REQUESTS"]);
    expect(loadConfig({ DATABASE_URL, LOG_SLOW_REQUEST_MS: "250" }).access.logSlowRequestMs).toBe(250);
    expect(issues({ LOG_SLOW_REQUEST_MS: "0" })).toEqual(["LOG_SLOW_REQUEST_MS"]);
  });
});
