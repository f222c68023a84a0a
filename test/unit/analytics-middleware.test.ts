import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { describe, expect, it } from "vitest";
import type { RequestEventRow } from "../../shared/analytics/event-rows.ts";
import type { EventSink } from "../../shared/analytics/event-sink.ts";
import type { AppEnv } from "../../functions/env.ts";
import { metrics, UNMATCHED_ROUTE } from "../../functions/middleware/metrics.ts";

function recordingSink() {
  const rows: RequestEventRow[] = [];
  let flushes = 0;
  const sink: EventSink = {
    record: (table, row) => void (table === "request_events" && rows.push(row as RequestEventRow)),
    isDue: () => false,
    msUntilDue: () => undefined,
    flushDue: async () => undefined,
    settle: async () => void flushes++,
    flush: async () => undefined,
    drain: async () => undefined,
    close: async () => undefined,
    stats: () => ({ in: 0, stored: 0, dropped: 0, queued: 0, failedInserts: 0, tables: {} }),
    dropped: () => 0,
  };
  return { sink, rows, flushes: () => flushes };
}

function app(sink: EventSink) {
  const a = new Hono<AppEnv>();
  a.use(requestId());
  a.use(metrics({ sinkFor: () => sink }));
  a.get("/v1/users/:id", (c) => {
    c.header("x-cache", "L2");
    c.header("server-timing", "cache;desc=l2, db;dur=4.5, total;dur=6");
    return c.body("hello", 200, { "content-length": "5" });
  });
  a.get("/boom", () => {
    throw new Error("boom");
  });
  a.onError((_, c) => c.text("failed", 500));
  return a;
}

describe("metrics middleware", () => {
  it("records the route pattern, status, tier, db time, size, request id and cf location", async () => {
    const { sink, rows } = recordingSink();
    const request = new Request("http://edge/v1/users/42", { headers: { "x-request-id": "req-7" } });
    Object.defineProperty(request, "cf", { value: { colo: "AMS", country: "NL" } });
    const res = await app(sink).request(request);
    expect(res.status).toBe(200);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      route: "/v1/users/:id", method: "GET", status: 200, cache_tier: "l2", db_ms: 4.5, response_bytes: 5,
      request_id: "req-7", colo: "AMS", country: "NL",
    });
    expect(rows[0]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(rows[0]!.isolate_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("labels unmatched paths as one route and records errors with their status", async () => {
    const { sink, rows } = recordingSink();
    const a = app(sink);
    await a.request("http://edge/wp-admin/login.php");
    await a.request("http://edge/boom");
    expect(rows.map((r) => [r.route, r.status, r.cache_tier])).toEqual([[UNMATCHED_ROUTE, 404, ""], ["/boom", 500, ""]]);
  });

  it("settles the sink after every request, so no event waits for a later request", async () => {
    const { sink, flushes } = recordingSink();
    const a = app(sink);
    await a.request("http://edge/v1/users/1");
    await a.request("http://edge/v1/users/2");
    expect(flushes()).toBe(2);
  });

  it("records nothing and still answers when there is no sink (ClickHouse not configured)", async () => {
    const a = new Hono<AppEnv>();
    a.use(metrics({ sinkFor: () => undefined }));
    a.get("/", (c) => c.text("ok"));
    expect((await a.request("http://edge/")).status).toBe(200);
  });
});
