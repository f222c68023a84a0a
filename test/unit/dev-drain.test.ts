import { describe, expect, it } from "vitest";
import { DEV_DRAIN_PATH, devDrain } from "../../functions/dev-drain.ts";
import { ConfigError, loadConfig } from "../../shared/config.ts";

const TOKEN = "t".repeat(48);
const BASE = { DATABASE_URL: "postgres://u:p@127.0.0.1:5432/app" };

function drainRequest(host = "127.0.0.1:8787", init: RequestInit = {}): Request {
  return new Request(`http://${host}${DEV_DRAIN_PATH}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, ...init });
}

describe("the local dev drain route", () => {
  it("does not exist without ANALYTICS_DEV_DRAIN_TOKEN (production): the app answers", () => {
    expect(devDrain(drainRequest(), BASE)).toBeUndefined();
  });

  it("answers only POST from a loopback host with the run's bearer token", () => {
    const env = { ...BASE, ANALYTICS_DEV_DRAIN_TOKEN: TOKEN };
    expect(devDrain(drainRequest("api.example.com"), env)).toBeUndefined();
    expect(devDrain(drainRequest(undefined, { method: "GET" }), env)).toBeUndefined();
    expect(devDrain(drainRequest(undefined, { headers: { authorization: `Bearer ${"x".repeat(48)}` } }), env)).toBeUndefined();
    expect(devDrain(drainRequest(undefined, { headers: {} }), env)).toBeUndefined();
    expect(devDrain(new Request(`http://127.0.0.1:8787/v1/ping`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } }), env)).toBeUndefined();
  });

  it("drains and says so (no ClickHouse configured: nothing to send)", async () => {
    const res = await devDrain(drainRequest("localhost:8787"), { ...BASE, ANALYTICS_DEV_DRAIN_TOKEN: TOKEN });
    expect(res?.status).toBe(200);
    expect(await res?.json()).toEqual({ drained: true });
  });

  it("refuses a short token in the config", () => {
    expect(() => loadConfig({ ...BASE, ANALYTICS_DEV_DRAIN_TOKEN: "short" })).toThrow(ConfigError);
  });
});
