import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdvisor } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;

/** Index-only scans skip the heap only on all-visible pages; VACUUM again if a snapshot held some back. */
async function vacuumUntilAllVisible(): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    await db.client.query("VACUUM ANALYZE audit_logs");
    const { rows } = await db.client.query("SELECT relallvisible = relpages AS done FROM pg_class WHERE relname = 'audit_logs'");
    if (rows[0].done === true) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("audit_logs never became all-visible");
}

beforeAll(async () => {
  db = await createTestDatabase({ users: 2_000, auditLogs: 150_000, agentStates: 100, seed: 3, anchor: new Date("2026-06-01T00:00:00Z") });
  await vacuumUntilAllVisible();
  await db.resetStatements();
  await runWorkload(db, [
    {
      sql: "SELECT occurred_at, action FROM audit_logs WHERE user_id = $1 AND occurred_at >= $2",
      params: (i) => [1 + (i % 40), "2026-03-01T00:00:00Z"],
      times: 30,
    },
  ]);
});

afterAll(async () => {
  await db?.drop();
});

describe("covering indexes", () => {
  it("adds INCLUDE columns when the planner proves an index-only scan saves the heap fetches", async () => {
    const report = await runAdvisor(db.client, {});
    expect(report.recommendations).toHaveLength(1);
    const [covering] = report.recommendations;
    expect(covering).toMatchObject({ table: "audit_logs", columns: ["user_id", "occurred_at"], include: ["action"] });
    expect(covering?.reasons).toContain("covering");
    expect(covering?.ddl).toContain('INCLUDE ("action")');
  });
});
