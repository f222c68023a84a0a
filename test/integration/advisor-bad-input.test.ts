/**
 * Bad input through a whole delivered run (executeAdvisorRun with the Postgres run store, as
 * the cron, the trigger and the CLI run it): a build that hits the lock timeout halfway
 * (after Postgres created the INVALID index), a session that fails, a server without
 * pg_stat_statements or hypopg. Each run is recorded with a clear reason, and nothing
 * half-built is left behind.
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeAdvisorRun, postgresRunStore } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, NETRA_WORKLOAD, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let observer: pg.Client;

const invalidIndexes = async () => (await observer.query("SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE NOT x.indisvalid")).rows;
const storedRun = async (id: string | undefined) => (await observer.query("SELECT status, trigger, summary, report, error FROM index_advisor_runs WHERE id = $1", [id])).rows[0];

beforeAll(async () => {
  db = await createTestDatabase({ users: 2_000, auditLogs: 60_000, agentStates: 3_000, seed: 13, anchor: new Date("2026-06-01T00:00:00Z") });
  await db.resetStatements();
  await runWorkload(db, NETRA_WORKLOAD);
  observer = await db.connect();
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("a delivered run on bad input", () => {
  it("records a build that timed out waiting for a writer, and drops the INVALID index it left", async () => {
    // A writer's open transaction: CREATE INDEX CONCURRENTLY gets its table lock, creates the
    // (INVALID) index, then waits for this transaction and gives up at the lock timeout.
    const writer = await db.connect();
    await writer.query("BEGIN");
    await writer.query("UPDATE audit_logs SET action = action WHERE id = -1");
    const session = await db.connect();
    const running = executeAdvisorRun({
      session,
      store: postgresRunStore(observer),
      trigger: "manual",
      triggerKey: "manual:lock-timeout",
      options: { apply: true, lockTimeoutMs: 500 },
    });
    let done = false;
    void running.finally(() => (done = true));
    // The clean-up (DROP INDEX CONCURRENTLY) waits for the writer too: end the writer once it started.
    while (!done) {
      const { rows } = await observer.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'DROP INDEX CONCURRENTLY%' AND state = 'active'");
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await writer.query("ROLLBACK");
    const outcome = await running;

    expect(outcome.status).toBe("ok");
    const failed = outcome.report!.applied.filter((b) => b.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.name).toMatch(/^audit_logs_/);
    expect(failed[0]).toMatchObject({ valid: false, cleanedUp: true, error: expect.stringMatching(/lock timeout/) });
    expect(outcome.report!.applied.filter((b) => b.status === "created").length).toBeGreaterThan(0);
    expect(await invalidIndexes()).toEqual([]);
    const stored = await storedRun(outcome.runId);
    expect(stored).toMatchObject({ status: "ok", trigger: "manual", summary: { failed: 1 } });
    expect(stored.report.applied.find((b: { status: string }) => b.status === "failed").error).toMatch(/lock timeout/);
  }, 60_000);

  it("records a run whose session fails as an error, with the reason", async () => {
    const session = await db.connect();
    await session.end();
    const outcome = await executeAdvisorRun({ session, store: postgresRunStore(observer), trigger: "manual", triggerKey: "manual:dead-session" });
    expect(outcome).toMatchObject({ status: "error", reason: expect.stringMatching(/not queryable/) });
    expect(await storedRun(outcome.runId)).toMatchObject({ status: "error", report: null, error: expect.stringMatching(/not queryable/) });
  });
});

describe("a delivered run without pg_stat_statements or hypopg", () => {
  let bare: TestDatabase;
  beforeAll(async () => {
    bare = await createTestDatabase({ users: 100, auditLogs: 1_000, agentStates: 50, seed: 1 }, "template0");
  });
  afterAll(async () => {
    await bare?.drop();
  });

  it("is recorded, with what is missing and the fix", async () => {
    const outcome = await executeAdvisorRun({ session: bare.client, store: postgresRunStore(bare.client), trigger: "cli", triggerKey: "cli:bare", options: { apply: true } });
    expect(outcome).toMatchObject({ status: "ok", summary: { mode: "none", recommendations: 0, created: 0 } });
    const { rows } = await bare.client.query("SELECT status, summary, report FROM index_advisor_runs WHERE id = $1", [outcome.runId]);
    expect(rows[0]).toMatchObject({ status: "ok", summary: { mode: "none" } });
    const notes = (rows[0].report.capabilities.notes as string[]).join(" ");
    expect(notes).toMatch(/pg_stat_statements is not available.*CREATE EXTENSION pg_stat_statements/);
    expect(notes).toMatch(/hypopg is not available.*CREATE EXTENSION hypopg/);
  });
});
