import { afterEach, describe, expect, it, vi } from "vitest";
import { logError, logInfo, redact, REDACTED, rememberSecrets } from "../../functions/log.ts";
import { configSecrets } from "../../functions/middleware/logger.ts";
import { loadConfig } from "../../shared/config.ts";

const TOKEN = `nk_0123456789abcdef_${"S".repeat(43)}`;

describe("log redaction", () => {
  afterEach(() => vi.restoreAllMocks());

  it("replaces credential-named fields at any depth", () => {
    expect(redact({ authorization: "Bearer abc", nested: { cookie: "s=1", apiKey: "k", password: "p", list: [{ token: "t" }] }, keyId: "0123" })).toEqual({
      authorization: REDACTED,
      nested: { cookie: REDACTED, apiKey: REDACTED, password: REDACTED, list: [{ token: REDACTED }] },
      keyId: "0123",
    });
  });

  it("scrubs API tokens to their public key id, bearer credentials and URL passwords inside strings", () => {
    expect(redact(`key ${TOKEN} used`)).toBe(`key nk_0123456789abcdef_${REDACTED} used`);
    expect(redact("header was Bearer sk-live-123, then")).toBe(`header was Bearer ${REDACTED}, then`);
    expect(redact("connect postgres://netra:hunter2secret@db:5432/app failed")).toBe(`connect postgres://netra:${REDACTED}@db:5432/app failed`);
  });

  it("scrubs the exact values of remembered secrets, ignoring values too short to be secrets", () => {
    rememberSecrets(["the-bootstrap-admin-key-value", "short", undefined]);
    expect(redact("got the-bootstrap-admin-key-value twice: the-bootstrap-admin-key-value")).toBe(`got ${REDACTED} twice: ${REDACTED}`);
    expect(redact("a short word")).toBe("a short word");
  });

  it("knows which config values are secrets", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://netra:pg-password-123@localhost:5432/netra",
      API_ADMIN_KEY: "admin-key-0123456789",
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1",
      UPSTASH_REDIS_REST_TOKEN: "upstash-token-abc",
    });
    expect(configSecrets(config)).toEqual(expect.arrayContaining(["admin-key-0123456789", "upstash-token-abc", "pg-password-123"]));
  });

  it("emits one JSON line per call with nothing secret in it", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    logInfo("request", { requestId: "r1", headers: { authorization: `Bearer ${TOKEN}` } });
    logError("failed", new Error(`lookup of ${TOKEN} failed`), { requestId: "r2" });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain("S".repeat(43));
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "info", message: "request", requestId: "r1" });
  });
});
