import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex, runAdvisor, type Recommendation } from "../../shared/db/advisor/index.ts";
import { indexDdl, indexName } from "../../shared/db/advisor/ident.ts";
import { createTestDatabase, NETRA_WORKLOAD, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;

async function indexState(name: string): Promise<{ valid: boolean } | undefined> {
  const { rows } = await db.client.query("SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = $1", [name]);
  return rows[0];
}

function recommendation(table: string, columns: string[], ddl?: string): Recommendation {
  const candidate = { schema: "public", table, columns, include: [], reasons: [] };
  const name = indexName(candidate);
  return { ...candidate, name, ddl: ddl ?? indexDdl(candidate, name, true), benefit: 1, overhead: 0, estimatedBytes: null, statements: [], evidence: "what-if" };
}

const TIMEOUTS = { lockTimeoutMs: 300, buildTimeoutMs: 60_000 };

beforeAll(async () => {
  db = await createTestDatabase({ users: 2_000, auditLogs: 60_000, agentStates: 3_000, seed: 5, anchor: new Date("2026-06-01T00:00:00Z") });
  await db.resetStatements();
  await runWorkload(db, NETRA_WORKLOAD);
});

afterAll(async () => {
  await db?.drop();
});

describe("apply mode", () => {
  it("is off by default: a run changes nothing", async () => {
    const before = await db.client.query("SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'public'");
    const report = await runAdvisor(db.client, {});
    expect(report.recommendations.length).toBeGreaterThan(0);
    expect(report.applied).toEqual([]);
    const after = await db.client.query("SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'public'");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("builds every recommendation concurrently, valid, then finds them on a re-run", async () => {
    const report = await runAdvisor(db.client, { apply: true });
    expect(report.applied.length).toBe(report.recommendations.length);
    for (const build of report.applied) {
      expect(build).toMatchObject({ status: "created", valid: true });
      expect(build.ddl).toContain("CREATE INDEX CONCURRENTLY");
      expect(await indexState(build.name)).toEqual({ valid: true });
    }
    // The session's timeouts are back to the defaults after the builds.
    const { rows } = await db.client.query("SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS stmt");
    expect(rows[0]).toEqual({ lock: "0", stmt: "0" });
    // The built indexes now serve the workload: nothing left to recommend for it.
    const again = await runAdvisor(db.client, { apply: true });
    const names = new Set(report.applied.map((b) => b.name));
    expect(again.recommendations.filter((r) => names.has(r.name))).toEqual([]);
  });

  it("reports an index that already exists under the name instead of building a twin", async () => {
    const rec = recommendation("audit_logs", ["action"]);
    expect((await buildIndex(db.client, rec, TIMEOUTS)).status).toBe("created");
    expect(await buildIndex(db.client, rec, TIMEOUTS)).toMatchObject({ status: "exists", valid: true });
  });

  it("drops the INVALID leftover of a failed build (unique index over duplicate values)", async () => {
    const base = recommendation("audit_logs", ["action", "resource"]);
    const failing = { ...base, ddl: base.ddl.replace("CREATE INDEX", "CREATE UNIQUE INDEX") };
    const result = await buildIndex(db.client, failing, TIMEOUTS);
    expect(result).toMatchObject({ status: "failed", valid: false, cleanedUp: true });
    expect(result.error).toMatch(/could not create unique index/);
    expect(await indexState(base.name)).toBeUndefined();
  });

  it("gives up at the lock timeout when another session holds the table, leaving nothing behind", async () => {
    const blocker = await db.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE agent_states IN SHARE ROW EXCLUSIVE MODE");
    try {
      const rec = recommendation("agent_states", ["state", "updated_at"]);
      const result = await buildIndex(db.client, rec, TIMEOUTS);
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(/lock timeout/);
      expect(await indexState(rec.name)).toBeUndefined();
    } finally {
      await blocker.query("ROLLBACK");
    }
  });

  it("replaces the INVALID leftover of an earlier build that died under its own name, and leaves it while the table is busy", async () => {
    const rec = recommendation("users", ["plan_tier", "role"]);
    await db.client.query("INSERT INTO users (email, plan_tier, role) SELECT 'twin' || g || '@x.io', 'free', 'member' FROM generate_series(1, 2) g");
    // What a run that crashed mid-build leaves: an INVALID index under the advisor's name, nobody cleaning it up.
    await expect(db.client.query(`CREATE UNIQUE INDEX CONCURRENTLY "${rec.name}" ON users (plan_tier, role)`)).rejects.toThrow();
    expect(await indexState(rec.name)).toEqual({ valid: false });
    // Something holds SHARE UPDATE EXCLUSIVE on the table (a concurrent build would): hands off.
    const blocker = await db.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE users IN SHARE UPDATE EXCLUSIVE MODE");
    try {
      expect(await buildIndex(db.client, rec, TIMEOUTS)).toMatchObject({ status: "exists", valid: false });
      expect(await indexState(rec.name)).toEqual({ valid: false });
    } finally {
      await blocker.query("ROLLBACK");
    }
    expect(await buildIndex(db.client, rec, TIMEOUTS)).toMatchObject({ status: "created", valid: true, replacedLeftover: true });
    expect(await indexState(rec.name)).toEqual({ valid: true });
  });

  it("never touches an INVALID index under another name", async () => {
    await expect(db.client.query("CREATE UNIQUE INDEX CONCURRENTLY users_someone_elses_key ON users (plan_tier)")).rejects.toThrow();
    const rec = recommendation("users", ["plan_tier"]);
    expect(await buildIndex(db.client, rec, TIMEOUTS)).toMatchObject({ status: "created", valid: true });
    expect(await indexState("users_someone_elses_key")).toEqual({ valid: false });
  });
});
