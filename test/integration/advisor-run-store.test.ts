/**
 * The advisor's run store in real Postgres: `latest()` is the newest finished run by
 * its numeric id. It once ordered by the text alias of the id, so run 9 stayed
 * "latest" after run 17 (the dashboard's index panel showed an old run).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresRunStore } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ users: 10, auditLogs: 10, agentStates: 5, seed: 3 });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("advisor run store", () => {
  it("answers the newest finished run by id, past 9", async () => {
    for (let i = 1; i <= 12; i++) {
      await db.client.query(
        `INSERT INTO index_advisor_runs (trigger_key, trigger, status, apply, started_at, finished_at, summary, report) VALUES ($1, 'manual', $2, false, now(), now(), '{}', '{}')`,
        [`test:order:${i}`, i === 12 ? "error" : "ok"],
      );
    }
    const { rows } = await db.client.query<{ id: string }>("SELECT max(id)::text AS id FROM index_advisor_runs WHERE status = 'ok'");
    const latest = await postgresRunStore(db.client).latest();
    expect(Number(rows[0]!.id)).toBeGreaterThanOrEqual(10);
    expect(latest?.id).toBe(rows[0]!.id);
    expect(latest?.triggerKey).toBe("test:order:11");
  });
});
