/**
 * Selection stops on marginal benefit against write overhead, not on a count: the same
 * occasional lookup on two tables of the same data gets an index on the quiet table and none
 * on the one whose rows are rewritten all the time (each index is maintained on every write).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdvisor, type AdvisorReport } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let charged: AdvisorReport;
let free: AdvisorReport;

const tables = (report: AdvisorReport) => [...new Set(report.recommendations.map((r) => r.table))].sort();

beforeAll(async () => {
  db = await createTestDatabase(undefined);
  for (const table of ["quiet", "busy"]) {
    await db.client.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, k int NOT NULL, v int NOT NULL)`);
    await db.client.query(`INSERT INTO ${table} SELECT g, g % 20000, 0 FROM generate_series(1, 100000) g`);
    await db.client.query(`ANALYZE ${table}`);
  }
  await db.resetStatements();
  // Every row of busy rewritten, again and again; then both tables compacted alike, so the reads
  // cost the same on both (the write counters survive VACUUM FULL).
  await runWorkload(db, [{ sql: "UPDATE busy SET v = v + $1", params: () => [1], times: 8 }]);
  for (const table of ["quiet", "busy"]) await db.client.query(`VACUUM FULL ANALYZE ${table}`);
  await runWorkload(db, [
    { sql: "SELECT id, v FROM quiet WHERE k = $1", params: (i) => [i], times: 10 },
    { sql: "SELECT id, v FROM busy WHERE k = $1", params: (i) => [i], times: 10 },
  ]);
  charged = await runAdvisor(db.client, { minTotalMs: 0 });
  free = await runAdvisor(db.client, { minTotalMs: 0, writeCostPerRow: 0 });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("write overhead in the selection", () => {
  it("indexes the lookup on the quiet table and not the same lookup on the rewritten one", () => {
    expect(tables(charged)).toEqual(["quiet"]);
    const busyRead = charged.workload.find((s) => /FROM busy WHERE k/.test(s.query))!;
    expect(charged.coverage.find((c) => c.queryid === busyRead.queryid)?.outcome).toMatch(/no candidate was worth its cost/);
  });

  it("indexes both when writes cost nothing: the write charge is what decided", () => {
    expect(tables(free)).toEqual(["busy", "quiet"]);
  });
});
