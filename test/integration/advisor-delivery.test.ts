/**
 * Delivery end to end on real services: the job runner the cron and the trigger use
 * (Neon WebSocket session through the local endpoint), the report in Postgres, the summary
 * event and the parts analysis in ClickHouse, and the /v1/ops/indexes routes.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { notFound, onError } from "../../functions/middleware/problem.ts";
import { opsIndexRoutes } from "../../functions/routes/v1/ops-indexes.ts";
import { isolateServices } from "../../functions/middleware/services.ts";
import { buildServices } from "../../functions/services.ts";
import { indexAnalysisJob, runIndexAnalysis } from "../../functions/cron/index-analysis.ts";
import type { AppEnv, Env } from "../../functions/env.ts";
import { adviseClickHouse } from "../../shared/analytics/advisor/index.ts";
import { applyClickHouseMigrations, clickHouseExecutor } from "../../shared/analytics/migrate.ts";
import { loadConfig, type AppConfig } from "../../shared/config.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { createTestDatabase, NETRA_WORKLOAD, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

const urls = localUrls();
const chDatabase = `netra_test_adv_${randomBytes(5).toString("hex")}`;
const ADMIN_KEY = `admin-${randomBytes(12).toString("hex")}`;
let db: TestDatabase;
let ch: ClickHouseClient;
let env: Env;
let config: AppConfig;

beforeAll(async () => {
  db = await createTestDatabase({ users: 1_500, auditLogs: 40_000, agentStates: 2_000, seed: 9, anchor: new Date("2026-06-01T00:00:00Z") });
  await db.resetStatements();
  await runWorkload(db, NETRA_WORKLOAD);
  ch = createClient({ url: process.env.CLICKHOUSE_URL || urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD });
  await applyClickHouseMigrations(clickHouseExecutor(ch), { database: chDatabase });
  env = {
    DATABASE_URL: db.url,
    NEON_LOCAL_ENDPOINT: process.env.NEON_LOCAL_ENDPOINT || urls.NEON_LOCAL_ENDPOINT,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL || urls.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: chDatabase,
    API_ADMIN_KEY: ADMIN_KEY,
  };
  config = loadConfig(env);
});

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${chDatabase}` });
  await ch?.close();
  await db?.drop();
});

describe("index-analysis job over a Neon session", () => {
  let firstRunId: string | undefined;

  it("stores the report in Postgres and the summary event in ClickHouse", async () => {
    const outcome = await runIndexAnalysis(buildServices(config), "manual", "manual:first");
    expect(outcome.status).toBe("ok");
    firstRunId = outcome.runId;
    expect(outcome.summary?.mode).toBe("what-if");
    expect(outcome.summary?.recommendations).toBeGreaterThan(0);
    const { rows } = await db.client.query("SELECT status, trigger, summary, report FROM index_advisor_runs WHERE id = $1", [firstRunId]);
    expect(rows[0]).toMatchObject({ status: "ok", trigger: "manual" });
    expect(rows[0].report.recommendations.map((r: { table: string }) => r.table)).toContain("audit_logs");
    expect(rows[0].report.clickhouse.notes.join(" ")).toMatch(/query_log/);
    const events = await (
      await ch.query({ query: `SELECT run_id, mode, recommendations FROM ${chDatabase}.index_advisor_runs`, format: "JSONEachRow" })
    ).json<{ run_id: string; mode: string; recommendations: number }>();
    expect(events).toEqual([{ run_id: firstRunId, mode: "what-if", recommendations: outcome.summary?.recommendations }]);
  });

  it("is idempotent per trigger key: a repeated cron trigger is skipped", async () => {
    const context = { services: buildServices(config), cron: "17 * * * *", scheduledTime: new Date("2026-11-29T06:17:00Z") };
    const first = await indexAnalysisJob(context);
    const second = await indexAnalysisJob(context);
    expect(first.status).toBe("ok");
    expect(second).toMatchObject({ status: "skipped", detail: { runId: first.detail.runId, reason: expect.stringContaining("exists already") } });
    const { rows } = await db.client.query("SELECT count(*)::int AS n FROM index_advisor_runs WHERE trigger_key = 'cron:2026-11-29T06:17:00.000Z'");
    expect(rows[0].n).toBe(1);
  });
});

describe("ClickHouse analysis on the local engine", () => {
  it("counts active parts per partition from system.parts", async () => {
    await ch.command({ query: `CREATE TABLE ${chDatabase}.busy (k UInt32, v String) ENGINE = MergeTree ORDER BY k` });
    await ch.command({ query: `SYSTEM STOP MERGES ${chDatabase}.busy` });
    for (let i = 0; i < 5; i++) await ch.command({ query: `INSERT INTO ${chDatabase}.busy VALUES (${i}, 'x')` });
    const reader = clickHouseExecutor(ch);
    const advice = await adviseClickHouse(reader, chDatabase, { maxPartsPerPartition: 3, minCalls: 1 });
    const finding = advice.findings.find((f) => f.kind === "too_many_parts" && f.table === "busy");
    expect(finding?.evidence.parts).toBe(5);
    expect(advice.findings.some((f) => f.table === "request_events" && f.kind === "too_many_parts")).toBe(false);
  });
});

describe("/v1/ops/indexes", () => {
  // The routes as functions/routes/v1/index.ts mounts them, without the rest of the app.
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(isolateServices());
  app.notFound(notFound);
  app.onError(onError);
  app.route("/v1", opsIndexRoutes);
  const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined, props: {} } as unknown as ExecutionContext;
  const call = (method: string, path: string, headers: Record<string, string> = {}) =>
    app.fetch(new Request(`http://edge${path}`, { method, headers }), env, ctx);
  const auth = { authorization: `Bearer ${ADMIN_KEY}` };

  it("needs an API key", async () => {
    const res = await call("GET", "/v1/ops/indexes");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("serves the latest report and a run by id", async () => {
    const latest = await call("GET", "/v1/ops/indexes", auth);
    expect(latest.status).toBe(200);
    const body = (await latest.json()) as { id: string; status: string; report: { recommendations: unknown[] } };
    expect(body.status).toBe("ok");
    expect(body.report.recommendations.length).toBeGreaterThan(0);
    const one = await call("GET", `/v1/ops/indexes/runs/${body.id}`, auth);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: string }).id).toBe(body.id);
  });

  it("answers bad and unknown run ids with problem+json", async () => {
    const bad = await call("GET", "/v1/ops/indexes/runs/abc", auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe("invalid_run_id");
    const missing = await call("GET", "/v1/ops/indexes/runs/987654321", auth);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("advisor_run_not_found");
  });

  it("runs on demand, and a retry with the same Idempotency-Key returns the same run", async () => {
    const key = { ...auth, "idempotency-key": `t-${randomBytes(4).toString("hex")}` };
    const first = await call("POST", "/v1/ops/indexes/runs", key);
    expect(first.status).toBe(201);
    const run = (await first.json()) as { id: string; status: string };
    expect(run.status).toBe("ok");
    const retry = await call("POST", "/v1/ops/indexes/runs", key);
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { id: string }).id).toBe(run.id);
    const badKey = await call("POST", "/v1/ops/indexes/runs", { ...auth, "idempotency-key": "x".repeat(200) });
    expect(badKey.status).toBe(400);
  });

  it("shows each applied index's measured impact once the next run has judged it", async () => {
    const applying = loadConfig({ ...env, INDEX_ADVISOR_APPLY: "true" });
    const built = await runIndexAnalysis(buildServices(applying), "manual", `manual:apply-${randomBytes(4).toString("hex")}`);
    expect(built.status).toBe("ok");
    const created = built.report!.applied.filter((b) => b.status === "created").map((b) => b.name);
    expect(created.length).toBeGreaterThan(0);
    await runWorkload(db, NETRA_WORKLOAD);
    const judged = await runIndexAnalysis(buildServices(applying), "manual", `manual:judge-${randomBytes(4).toString("hex")}`);
    expect(judged.status).toBe("ok");
    const latest = await call("GET", "/v1/ops/indexes", auth);
    const body = (await latest.json()) as { id: string; summary: { verified: Record<string, number> }; report: { verification: { name: string; verdict: string; action: string; sizeBytes: number | null; statements: { beforeMs: number; afterMs: number | null }[] }[] } };
    expect(body.id).toBe(judged.runId);
    expect(body.report.verification.map((v) => v.name).sort()).toEqual(created.sort());
    for (const v of body.report.verification) {
      expect(v.statements.length).toBeGreaterThan(0);
      expect(v.statements.every((s) => s.afterMs !== null)).toBe(true);
      expect(["kept", "dropped"]).toContain(v.action);
    }
    expect(Object.values(body.summary.verified).reduce((a, b) => a + b, 0)).toBe(created.length);
  });
});
