import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { describe, expect, it } from "vitest";
import type { RequestEventRow } from "../../shared/analytics/event-rows.ts";
import type { EventSink } from "../../shared/analytics/event-sink.ts";
import type { AppEnv } from "../../functions/env.ts";
import { metrics, UNMATCHED_ROUTE } from "../../functions/middleware/metrics.ts";

function recordingSink(due = false) {
  const rows: RequestEventRow[] = [];
  let flushes = 0;
  const sink: EventSink = {
    record: (table, row) => void (table === "request_events" && rows.push(row as RequestEventRow)),
    isDue: () => due,
    flushDue: async () => void flushes++,
    flush: async () => undefined,
    close: async () => undefined,
    stats: () => ({ in: 0, stored: 0, dropped: 0, queued: 0, failedInserts: 0, tables: {} }),
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

  it("flushes only when the sink says a batch is due", async () => {
    const idle = recordingSink(false);
    await app(idle.sink).request("http://edge/v1/users/1");
    expect(idle.flushes()).toBe(0);
    const due = recordingSink(true);
    await app(due.sink).request("http://edge/v1/users/1");
    expect(due.flushes()).toBe(1);
  });

  it("records nothing and still answers when there is no sink (ClickHouse not configured)", async () => {
    const a = new Hono<AppEnv>();
    a.use(metrics({ sinkFor: () => undefined }));
    a.get("/", (c) => c.text("ok"));
    expect((await a.request("http://edge/")).status).toBe(200);
  });
});
