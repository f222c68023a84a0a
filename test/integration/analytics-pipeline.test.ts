import { createClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clickHouseWriter, type ClickHouseWriter } from "../../shared/analytics/clickhouse-writer.ts";
import type { RequestEventRow } from "../../shared/analytics/event-rows.ts";
import { createEventSink, type EventSinkOptions } from "../../shared/analytics/event-sink.ts";
import { createTestDatabase, type TestDatabase } from "./analytics-helpers.ts";

let db: TestDatabase;
let live: ClickHouseWriter;
/** Nothing listens on port 1: every insert fails with a real connection error. */
const dead = clickHouseWriter(createClient({ url: "http://127.0.0.1:1", request_timeout: 2000 }), "nowhere");

beforeAll(async () => {
  db = await createTestDatabase("pipe");
  live = clickHouseWriter(db.client, db.database);
});
afterAll(async () => db?.drop());

function event(i: number, batch: string): RequestEventRow {
  return {
    ts: Date.now(), request_id: `${batch}-${i}`, route: "/v1/things/:id", method: "GET", status: 200, duration_ms: 1 + (i % 7),
    cache_tier: "l1", db_ms: 0, response_bytes: 10, isolate_id: "iso", colo: "", country: "",
  };
}

function sinkOptions(writer: ClickHouseWriter, overrides: Partial<EventSinkOptions["analytics"]> = {}): EventSinkOptions {
  return {
    writer,
    batch: { maxBatchSize: 50, flushIntervalMs: 1000 },
    analytics: { maxQueueEvents: 10_000, maxBatchBytes: 1024 * 1024, maxAttempts: 100, retryBaseMs: 5, retryMaxMs: 20, ...overrides },
    clock: { now: () => performance.now() },
  };
}

async function stored(batch: string): Promise<{ n: number; distinct: number }> {
  const [row] = await db.rows<{ n: string; d: string }>(
    `SELECT count() AS n, uniqExact(request_id) AS d FROM ${db.database}.request_events WHERE startsWith(request_id, '${batch}-')`,
  );
  return { n: Number(row!.n), distinct: Number(row!.d) };
}

describe("the event pipeline against a failing ClickHouse", () => {
  it("loses nothing while ClickHouse is down and stores every event exactly once when it heals", async () => {
    let current = dead;
    const sink = createEventSink(sinkOptions({ insert: (table, rows) => current.insert(table, rows) }));
    for (let i = 0; i < 230; i++) sink.record("request_events", event(i, "heal"));
    await sink.flush();
    await sink.flush();
    const down = sink.stats();
    expect(down).toMatchObject({ in: 230, stored: 0, dropped: 0, queued: 230 });
    expect(down.failedInserts).toBeGreaterThan(0);

    current = live;
    await sink.close();
    expect(sink.stats()).toMatchObject({ in: 230, stored: 230, dropped: 0, queued: 0 });
    expect(await stored("heal")).toEqual({ n: 230, distinct: 230 });
  });

  it("stores a batch once when a send that reported failure had landed (a timeout after the server stored it)", async () => {
    const route = "/v1/twice/:id";
    let landedButFailed = 3;
    const sink = createEventSink(
      sinkOptions({
        insert: async (table, rows, options) => {
          await live.insert(table, rows, options);
          if (landedButFailed-- > 0) throw new Error("timed out after the server stored the batch");
        },
      }),
    );
    for (let i = 0; i < 120; i++) sink.record("request_events", { ...event(i, "twice"), route });
    await sink.close();
    expect(sink.stats()).toMatchObject({ in: 120, stored: 120, dropped: 0, failedInserts: 3 });
    expect(await stored("twice")).toEqual({ n: 120, distinct: 120 });
    for (const table of ["request_rollup_minute", "request_rollup_hour", "request_rollup_day"]) {
      const [row] = await db.rows<{ n: string }>(`SELECT toString(sum(requests)) AS n FROM ${db.database}.${table} WHERE route = '${route}'`);
      expect(row?.n, table).toBe("120");
    }
    // The all-routes totals hold every test's events: no more, no fewer than the raw table.
    const [raw] = await db.rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${db.database}.request_events`);
    for (const table of ["request_total_minute", "request_total_hour", "request_total_day"]) {
      const [row] = await db.rows<{ n: string }>(`SELECT toString(sum(requests)) AS n FROM ${db.database}.${table}`);
      expect(row?.n, table).toBe(raw?.n);
    }
  });

  it("without the token the same resend is stored twice (what the token prevents)", async () => {
    const rows = [0, 1, 2].map((i) => event(i, "untokened"));
    await live.insert("request_events", rows);
    await live.insert("request_events", rows);
    expect(await stored("untokened")).toEqual({ n: 6, distinct: 3 });
    const again = [0, 1, 2].map((i) => event(i, "tokened"));
    await live.insert("request_events", again, { dedupToken: "same-batch" });
    await live.insert("request_events", again, { dedupToken: "same-batch" });
    expect(await stored("tokened")).toEqual({ n: 3, distinct: 3 });
  });

  it("with async inserts, stores a resent batch once and waits until it is stored", async () => {
    const asyncWriter = clickHouseWriter(db.client, db.database, { asyncInsert: true });
    const rows = [0, 1, 2].map((i) => event(i, "async"));
    await asyncWriter.insert("request_events", rows, { dedupToken: "async-batch" });
    expect(await stored("async")).toEqual({ n: 3, distinct: 3 });
    await asyncWriter.insert("request_events", rows, { dedupToken: "async-batch" });
    expect(await stored("async")).toEqual({ n: 3, distinct: 3 });
  });

  it("counts events as dropped after the attempt limit and reports them to onDropped", async () => {
    const reported: { table: string; count: number }[] = [];
    const sink = createEventSink({ ...sinkOptions(dead, { maxAttempts: 3 }), onDropped: (table, count) => reported.push({ table, count }) });
    for (let i = 0; i < 120; i++) sink.record("request_events", event(i, "dead"));
    await sink.close();
    expect(sink.stats()).toMatchObject({ in: 120, stored: 0, dropped: 120, queued: 0, failedInserts: 9 });
    expect(reported.reduce((n, r) => n + r.count, 0)).toBe(120);
    expect(reported.every((r) => r.table === "request_events")).toBe(true);
  });

  it("bounds memory while ClickHouse is down: the oldest events beyond the queue bound are dropped and counted", async () => {
    let current = dead;
    const sink = createEventSink(sinkOptions({ insert: (table, rows) => current.insert(table, rows) }, { maxQueueEvents: 100 }));
    for (let i = 0; i < 250; i++) sink.record("request_events", event(i, "bound"));
    expect(sink.stats()).toMatchObject({ in: 250, dropped: 150, queued: 100 });
    current = live;
    await sink.close();
    expect(await stored("bound")).toEqual({ n: 100, distinct: 100 });
    const [newest] = await db.rows<{ lo: string }>(
      `SELECT min(toUInt32(splitByChar('-', request_id)[2])) AS lo FROM ${db.database}.request_events WHERE startsWith(request_id, 'bound-')`,
    );
    expect(Number(newest!.lo)).toBe(150);
  });

  it("keeps tables independent: one table's failure does not re-send another's rows", async () => {
    const failing = new Set(["query_events"]);
    const sink = createEventSink(sinkOptions({
      insert: (table, rows) => (failing.has(table) ? dead.insert(table, rows) : live.insert(table, rows)),
    }, { maxAttempts: 2 }));
    for (let i = 0; i < 10; i++) sink.record("request_events", event(i, "indep"));
    sink.record("query_events", {
      ts: Date.now(), fingerprint: "f", statement: "select 1", kind: "read", duration_ms: 1, db_ms: 1, rows: 1, tier: "miss",
      slow: false, error: "", request_id: "", isolate_id: "iso",
    });
    await sink.close();
    const stats = sink.stats();
    expect(stats.tables.request_events).toMatchObject({ in: 10, stored: 10, dropped: 0 });
    expect(stats.tables.query_events).toMatchObject({ in: 1, stored: 0, dropped: 1 });
    expect(await stored("indep")).toEqual({ n: 10, distinct: 10 });
  });
});
