import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clickHouseWriter } from "../../shared/analytics/clickhouse-writer.ts";
import type { RequestEventRow } from "../../shared/analytics/event-rows.ts";
import { REQUEST_DAY, REQUEST_HOUR, createViewStatement } from "../../shared/analytics/rollup-views.ts";
import { clickHouseRunner, type ClickHouseRunner } from "../../shared/analytics/rollups/runner.ts";
import { runRollups, type RunRollupsOptions } from "../../shared/analytics/rollups/run-rollups.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { createTestDatabase, type TestDatabase } from "./analytics-helpers.ts";

const DAY = 86_400_000;
const RETENTION = { rawRetentionDays: 7, minuteRollupRetentionDays: 90, hourRollupRetentionDays: 395 };
let db: TestDatabase;
let options: RunRollupsOptions;

beforeAll(async () => {
  db = await createTestDatabase("backfill");
  options = { runner: clickHouseRunner(db.client), database: db.database, analytics: RETENTION, now: Date.now() };
}, 60_000);
afterAll(async () => db?.drop());

async function insertEvents(prefix: string, n: number, spanMs: number): Promise<void> {
  const start = Date.now() - spanMs - 60_000;
  const rows: RequestEventRow[] = Array.from({ length: n }, (_, i) => ({
    ts: start + Math.floor((i / n) * spanMs), request_id: `${prefix}${i}`, route: i % 2 ? "/a" : "/b", method: "GET", status: 200,
    duration_ms: 1, cache_tier: "miss", db_ms: 1, response_bytes: 1, isolate_id: "i", colo: "", country: "",
  }));
  await clickHouseWriter(db.client, db.database).insert("request_events", rows);
}

/** A runner whose first watermark write fails: a job that died between a write and its watermark. */
function crashOnFirstWatermark(inner: ClickHouseRunner): { runner: ClickHouseRunner; insertsBeforeCrash: number } {
  const state = { crashed: false, insertsBeforeCrash: 0 };
  const runner: ClickHouseRunner = {
    ...inner,
    async command(sql, options) {
      if (!state.crashed && sql.includes("pipeline_watermarks")) {
        state.crashed = true;
        throw new Error("crashed before the watermark");
      }
      if (!state.crashed && sql.startsWith("INSERT")) state.insertsBeforeCrash++;
      return inner.command(sql, options);
    },
    async insert(table, rows, options) {
      if (!state.crashed) state.insertsBeforeCrash++;
      return inner.insert(table, rows, options);
    },
  };
  return {
    runner,
    get insertsBeforeCrash() {
      return state.insertsBeforeCrash;
    },
  };
}

const dayTotals = () =>
  db.rows<{ route: string; n: string }>(`SELECT route, toString(sum(requests)) AS n FROM ${db.database}.request_rollup_day GROUP BY route ORDER BY route`);
const hourTotals = () =>
  db.rows<{ route: string; n: string }>(`SELECT route, toString(sum(requests)) AS n FROM ${db.database}.request_rollup_hour GROUP BY route ORDER BY route`);
const rawTotals = () =>
  db.rows<{ route: string; n: string }>(`SELECT route, toString(count()) AS n FROM ${db.database}.request_events GROUP BY route ORDER BY route`);

describe("the rollups job", () => {
  it("backfills a view added after its raw data, in bounded steps, without double counting", async () => {
    await insertEvents("old", 100, 3 * DAY);
    await db.client.command({ query: `DROP VIEW ${db.database}.${REQUEST_HOUR.name}` });
    await db.client.command({ query: `TRUNCATE TABLE ${db.database}.${REQUEST_HOUR.target}` });
    await insertEvents("unseen", 200, 3 * DAY);
    // The view's creation time has one-second resolution: create it in a later second than the last insert.
    const second = Math.floor(Date.now() / 1000);
    while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 50));
    await db.client.command({ query: createViewStatement(REQUEST_HOUR, db.database) });
    await insertEvents("live", 50, DAY);
    expect((await hourTotals()).reduce((n, r) => n + Number(r.n), 0)).toBe(50);

    const first = await runRollups({ ...options, views: [REQUEST_HOUR], maxBackfillSteps: 2 });
    expect(first.backfill[0]).toMatchObject({ view: REQUEST_HOUR.name, state: "progress", steps: 2 });
    let report = first;
    for (let run = 0; run < 5 && report.backfill[0] && "state" in report.backfill[0] && report.backfill[0].state !== "complete"; run++) {
      report = await runRollups({ ...options, views: [REQUEST_HOUR], maxBackfillSteps: 2 });
    }
    expect(report.backfill[0]).toMatchObject({ state: "complete" });
    expect(await hourTotals()).toEqual(await rawTotals());
    expect((await rawTotals()).reduce((n, r) => n + Number(r.n), 0)).toBe(350);

    const again = await runRollups({ ...options, views: [REQUEST_HOUR] });
    expect(again.backfill[0]).toMatchObject({ state: "complete", steps: 0 });
    expect(await hourTotals()).toEqual(await rawTotals());
  });

  it("repeats a step that crashed before its watermark without counting that day twice", async () => {
    const view = REQUEST_DAY;
    await db.client.command({ query: `DROP VIEW ${db.database}.${view.name}` });
    await db.client.command({ query: `TRUNCATE TABLE ${db.database}.${view.target}` });
    const second = Math.floor(Date.now() / 1000);
    while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 50));
    await db.client.command({ query: createViewStatement(view, db.database) });
    // The first run dies right after its first step's insert: the watermark write fails.
    const crashing = crashOnFirstWatermark(clickHouseRunner(db.client));
    const crashed = await runRollups({ ...options, runner: crashing.runner, views: [view], maxBackfillSteps: 1 });
    expect(crashed.backfill[0]).toMatchObject({ view: view.name, error: "crashed before the watermark" });
    expect(crashing.insertsBeforeCrash).toBe(1);
    let report = crashed;
    for (let run = 0; run < 10 && !(report.backfill[0] && "state" in report.backfill[0] && report.backfill[0].state === "complete"); run++) {
      report = await runRollups({ ...options, views: [view], maxBackfillSteps: 2 });
    }
    expect(report.backfill[0]).toMatchObject({ state: "complete" });
    expect(await dayTotals()).toEqual(await rawTotals());
  });

  it("applies retention: drops partitions past the cutoff and sets the configured TTL", async () => {
    const old = Date.now() - 10 * DAY;
    await clickHouseWriter(db.client, db.database).insert("query_events", [
      { ts: old, fingerprint: "f", statement: "s", kind: "read", duration_ms: 1, db_ms: 1, rows: 1, tier: "miss", slow: false, error: "", request_id: "", isolate_id: "i" },
    ]);
    const oldPartition = new Date(old).toISOString().slice(0, 10).replaceAll("-", "");
    const report = await runRollups({ ...options, analytics: { ...RETENTION, rawRetentionDays: 5 } });
    const query = report.retention.find((r) => r.table === "query_events");
    expect(query).toMatchObject({ ttlDays: 5, ttlChanged: true, droppedPartitions: [oldPartition] });
    const [table] = await db.rows<{ q: string }>(`SELECT create_table_query AS q FROM system.tables WHERE database = '${db.database}' AND name = 'query_events'`);
    expect(table!.q).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(5\)/);
    const [left] = await db.rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${db.database}.query_events WHERE ts < now() - INTERVAL 6 DAY`);
    expect(left!.n).toBe("0");
    const second = await runRollups({ ...options, analytics: { ...RETENTION, rawRetentionDays: 5 } });
    expect(second.retention.find((r) => r.table === "query_events")).toMatchObject({ ttlChanged: false, droppedPartitions: [] });
  });
});

describe("audit log sync from Postgres", () => {
  const schema = `netra_test_audit_${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? localUrls().DATABASE_URL });

  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path = ${schema}`);
    await client.query(`CREATE TABLE audit_logs (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, occurred_at timestamptz NOT NULL DEFAULT now(),
      user_id bigint, action text NOT NULL, resource text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}')`);
    await client.query(`INSERT INTO audit_logs (occurred_at, user_id, action, resource)
      SELECT now() - interval '3 hours' + i * interval '1 minute', CASE WHEN i % 6 = 0 THEN NULL ELSE i % 3 + 1 END,
             CASE WHEN i % 2 = 0 THEN 'login' ELSE 'update' END, 'users' FROM generate_series(1, 25) AS i`);
    // Too young to be settled: a lower id may still be uncommitted.
    await client.query(`INSERT INTO audit_logs (user_id, action, resource) VALUES (1, 'login', 'users'), (2, 'login', 'users')`);
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
  });

  it("copies settled audit logs by id, in batches, once, and rolls them up per user and day", async () => {
    const postgres = { query: async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows as Record<string, unknown>[] };
    const audit = { batchSize: 10, maxBatches: 2, settleMs: 60_000 };
    const first = await runRollups({ ...options, postgres, audit, views: [] });
    expect(first.audit).toMatchObject({ copied: 20, more: true });
    const second = await runRollups({ ...options, postgres, audit, views: [] });
    expect(second.audit).toMatchObject({ copied: 5, more: false, position: 25 });
    const third = await runRollups({ ...options, postgres, audit, views: [] });
    expect(third.audit).toMatchObject({ copied: 0, position: 25 });

    const [copied] = await db.rows<{ n: string; users: string }>(
      `SELECT toString(count()) AS n, toString(uniqExact(user_id)) AS users FROM ${db.database}.audit_events`,
    );
    expect(copied).toEqual({ n: "25", users: "4" });
    const perUser = await db.rows<{ user_id: string; events: string }>(
      `SELECT toString(user_id) AS user_id, toString(sum(events)) AS events FROM ${db.database}.user_activity_day GROUP BY user_id ORDER BY user_id`,
    );
    const expected = await client.query(
      `SELECT coalesce(user_id, 0)::text AS user_id, count(*)::text AS events FROM audit_logs WHERE id <= 25 GROUP BY 1 ORDER BY 1`,
    );
    expect(perUser).toEqual(expected.rows);
  });

  it("copies no row twice after a run died between a batch's insert and its watermark", async () => {
    const postgres = { query: async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows as Record<string, unknown>[] };
    await client.query(`INSERT INTO audit_logs (occurred_at, user_id, action, resource)
      SELECT now() - interval '2 hours' + i * interval '1 minute', 9, 'export', 'users' FROM generate_series(1, 7) AS i`);
    const audit = { batchSize: 10, maxBatches: 5, settleMs: 60_000 };
    const crashing = crashOnFirstWatermark(clickHouseRunner(db.client));
    const crashed = await runRollups({ ...options, runner: crashing.runner, postgres, audit, views: [] });
    expect(crashed.audit).toEqual({ error: "crashed before the watermark" });
    expect(crashing.insertsBeforeCrash).toBe(1);
    const rerun = await runRollups({ ...options, postgres, audit, views: [] });
    expect(rerun.audit).toMatchObject({ copied: 0 });
    const [user9] = await db.rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${db.database}.audit_events WHERE user_id = 9`);
    expect(user9?.n).toBe("7");
    const [rolled] = await db.rows<{ n: string }>(`SELECT toString(sum(events)) AS n FROM ${db.database}.user_activity_day WHERE user_id = 9`);
    expect(rolled?.n).toBe("7");
  });
});
