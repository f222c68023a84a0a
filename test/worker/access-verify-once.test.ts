/** The bearer key is verified once per request, though the rate limiter and requireScope both need it. */
import { describe, expect, it } from "vitest";
import { servicesFor } from "../../functions/services.ts";
import { apiEnv, call, createKey } from "./api-helpers.ts";

function countVerifications(env: ReturnType<typeof apiEnv>): { calls: () => number; restore: () => void } {
  const keys = servicesFor(env).keys;
  const original = keys.verify;
  let calls = 0;
  keys.verify = (token) => {
    calls++;
    return original(token);
  };
  return { calls: () => calls, restore: () => (keys.verify = original) };
}

describe("API key verification", () => {
  it("verifies a valid key once per request, with the limiter on", async () => {
    const env = apiEnv();
    const key = await createKey(["read"]);
    const counter = countVerifications(env);
    try {
      const res = await call("/v1/ping", { key, env });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).not.toBeNull();
      expect(counter.calls()).toBe(1);
    } finally {
      counter.restore();
    }
  });

  it("verifies a wrong key once and still answers 401", async () => {
    const env = apiEnv();
    const counter = countVerifications(env);
    try {
      const res = await call("/v1/ping", { key: "nk_0000000000000000_wrong", env });
      expect(res.status).toBe(401);
      expect(res.json.code).toBe("invalid_credentials");
      expect(counter.calls()).toBe(1);
    } finally {
      counter.restore();
    }
  });
});
