/**
 * Every route through the whole app, with arbitrary path parameters, query strings,
 * methods and headers: never a 5xx, and every 4xx is problem+json with a `code`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asciiHeader, edgeText, percentEncode, STORABLE_PIECES, UNSTORABLE_PIECES } from "../unit/fuzz-arbitraries.ts";
import { expectWellFormed, raw } from "./fuzz-helpers.ts";

const RUNS = { numRuns: 60 };

/** Path templates for every route of the app; `{}` is the fuzzed segment. */
const PARAM_ROUTES = [
  "/v1/users/{}",
  "/v1/agent-states/{}",
  "/v1/ops/indexes/runs/{}",
  "/dashboard/assets/{}",
  "/v1/rooms/{}/token",
  "/v1/{}",
  "/{}",
  "/v1/users/{}/extra",
];

const QUERY_ROUTES = [
  "/v1/users",
  "/v1/users/by-email",
  "/v1/audit-logs",
  "/v1/agent-states",
  "/v1/ops/cache",
  "/v1/ops/queries",
  "/v1/ops/metrics",
  "/v1/ops/metrics/pipeline",
  "/v1/ops/alerts",
  "/v1/ops/indexes",
  "/v1/ping",
  "/ping",
  "/openapi.json",
  "/dashboard",
  "/dashboard/api/overview",
];

const QUERY_NAMES = ["limit", "cursor", "planTier", "role", "email", "userId", "action", "from", "to", "range", "granularity", "route", "window", "x"];

/** Segments that trip URL decoding, id parsing and object lookups. */
const NASTY_SEGMENTS = [
  "0", "-1", "1.5", "1e3", "01", "9223372036854775807", "9223372036854775808", "99999999999999999999", "0x10", "%201",
  "%", "%zz", "%00", "%2F", "%2e%2e", "..", ".", "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf",
  "uplot.js", "by-email", "null", "undefined", "NaN", "true", "%ED%A0%80", "%C0%AF",
];

const INHERITED_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

const segment = fc.oneof(
  fc.constantFrom(...NASTY_SEGMENTS),
  edgeText.map(percentEncode),
  fc.string({ maxLength: 300 }).map(percentEncode),
  fc.integer().map(String),
);

const queryValue = fc.oneof(
  fc.constantFrom("", "0", "-1", "101", "1e2", "ten", "free", "admin", "1h", "7d", "2026-01-01T00:00:00Z", "not-a-date", "***", "a@b.c"),
  edgeText,
  fc.string({ maxLength: 2000 }),
  fc.integer().map(String),
);

const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_NAMES), fc.string({ maxLength: 8 })), queryValue), { maxLength: 5 })
  .map((pairs) => pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&"));

describe("fuzzed routes", () => {
  it("answers any path parameter without a 5xx, problems with a code", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PARAM_ROUTES), segment, fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"), async (template, value, method) => {
        const path = template.replace("{}", value);
        if (template === "/dashboard/assets/{}" && INHERITED_NAMES.includes(value)) return;
        const answer = await raw({ method, path, headers: { "content-type": "application/json" }, body: "{}" });
        expectWellFormed(answer, path, method);
      }),
      RUNS,
    );
  });

  it("answers every route with each segment that trips decoding, id parsing or object lookups", async () => {
    const failures: string[] = [];
    for (const template of PARAM_ROUTES) {
      for (const value of NASTY_SEGMENTS) {
        if (template === "/dashboard/assets/{}" && INHERITED_NAMES.includes(value)) continue;
        const path = template.replace("{}", value);
        try {
          expectWellFormed(await raw({ path }), path);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  // Found by this suite: ASSETS was a plain object, so an inherited name was "found" and answered 500.
  it("answers 404 for a dashboard asset named like an Object.prototype member", async () => {
    for (const name of INHERITED_NAMES) {
      const path = `/dashboard/assets/${name}`;
      expectWellFormed(await raw({ path }), path);
    }
  });

  it("answers any query string on every GET route without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...QUERY_ROUTES), queryString, async (route, query) => {
        const path = `${route}?${query}`;
        expectWellFormed(await raw({ path }), path);
      }),
      RUNS,
    );
  });

  it("answers any method, HEAD and OPTIONS included, on every route", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...QUERY_ROUTES, "/v1/users/1", "/v1/agent-states/s1", "/v1/rooms/r/token", "/v1/admin/keys", "/health"), fc.constantFrom("HEAD", "OPTIONS", "DELETE", "PUT", "PATCH", "POST", "PURGE", "get"), async (path, method) => {
        if (path === "/v1/ops/indexes" && method === "POST") return;
        const answer = await raw({ method, path });
        expectWellFormed(answer, path, method);
      }),
      { numRuns: 40 },
    );
  });

  it("refuses any garbage Authorization header with 401 problem+json", async () => {
    const garbage = fc.oneof(
      edgeText,
      fc.string({ maxLength: 100 }),
      fc.string({ minLength: 1, maxLength: 40 }).map((s) => `Bearer ${s}`),
      fc.constantFrom("Bearer", "Bearer ", "bearer  x", "Basic dXNlcjpwYXNz", "Bearer nk_", "Bearer nk_x_y", "Bearer nk_1_", "Bearer nk__secret", "Bearer a b"),
      fc.integer({ min: 513, max: 70_000 }).map((n) => `Bearer ${"x".repeat(n)}`),
      fc.integer({ min: 1, max: 40 }).map((n) => `Bearer nk_${"9".repeat(n)}_${"a".repeat(64)}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/v1/users?limit=1", "/v1/ping", "/v1/ops/cache", "/v1/ops/alerts", "/v1/ops/metrics/pipeline", "/dashboard/api/overview"), garbage, async (path, header) => {
        const answer = await raw({ path, headers: { authorization: header }, key: null });
        expectWellFormed(answer, path);
        if (answer.status !== 401 && header.trim() !== "") throw new Error(`garbage key accepted: ${answer.request} ${header.slice(0, 80)} -> ${answer.status}`);
      }),
      RUNS,
    );
  });

  it("survives huge and malformed headers of every kind", async () => {
    const headerValue = fc.oneof(
      edgeText,
      fc.constantFrom(...STORABLE_PIECES, ...UNSTORABLE_PIECES),
      fc.integer({ min: 1000, max: 60_000 }).map((n) => "v".repeat(n)),
      fc.string({ unit: "binary-ascii", maxLength: 200 }),
    );
    const headerName = fc.constantFrom("x-request-id", "accept", "accept-encoding", "content-type", "cookie", "if-none-match", "x-forwarded-for", "cf-connecting-ip", "origin", "idempotency-key", "range", "x-anything");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/v1/users?limit=2", "/v1/ping", "/ping", "/dashboard", "/v1/ops/queries", "/openapi.json"), fc.dictionary(headerName, headerValue, { maxKeys: 4 }), async (path, headers) => {
        expectWellFormed(await raw({ path, headers }), path);
      }),
      { numRuns: 50 },
    );
  });
});
