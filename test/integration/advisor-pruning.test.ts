/**
 * Pruning after the greedy rounds, on real Postgres with hypopg. An index on a coarse column
 * (tenant) helps two statements a little each, so greedy takes it first; the two selective
 * indexes taken after it serve those statements completely, and the first pick no longer
 * saves anything: it must be dropped, and the report must say why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCatalog } from "../../shared/db/advisor/catalog.ts";
import { Planner } from "../../shared/db/advisor/planner.ts";
import { resolveOptions } from "../../shared/db/advisor/run.ts";
import { selectWithPlanner } from "../../shared/db/advisor/select.ts";
import type { IndexCandidate, Recommendation } from "../../shared/db/advisor/types.ts";
import { readWorkload } from "../../shared/db/advisor/workload.ts";
import { createTestDatabase, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let chosen: Recommendation[];
const notes: string[] = [];

const candidate = (column: string): IndexCandidate => ({ schema: "public", table: "events", columns: [column], include: [], reasons: [`eq:${column}`] });

beforeAll(async () => {
  db = await createTestDatabase(undefined);
  // Ten tenants of 20,000 rows each, stored together; x and y unique.
  await db.client.query("CREATE TABLE events (id bigint PRIMARY KEY, tenant int NOT NULL, x int NOT NULL, y int NOT NULL, payload text NOT NULL)");
  await db.client.query("INSERT INTO events SELECT g, g / 20000, (g::bigint * 7919) % 200003, (g::bigint * 104729) % 200017, repeat('p', 60) FROM generate_series(0, 199999) g");
  await db.client.query("ANALYZE events");
  await db.resetStatements();
  await runWorkload(db, [
    { sql: "SELECT id, payload FROM events WHERE tenant = $1 AND x = $2", params: (i) => [i % 10, i * 13], times: 20 },
    { sql: "SELECT id, payload FROM events WHERE tenant = $1 AND y = $2", params: (i) => [i % 10, i * 17], times: 20 },
  ]);
  // The bulk load above is not the workload's writes (and role netra may not reset the counters): no write charge.
  const options = resolveOptions({ minTotalMs: 0, writeCostPerRow: 0 });
  const catalog = await readCatalog(db.client);
  const workload = await readWorkload(db.client, options);
  const planner = new Planner(db.client);
  await planner.begin();
  try {
    chosen = await selectWithPlanner(planner, {
      workload,
      candidates: [candidate("tenant"), candidate("x"), candidate("y")],
      tablesOf: new Map(workload.map((s) => [s.queryid, new Set(["public.events"])])),
      catalog,
      options,
      notes,
    });
  } finally {
    await planner.end(true);
  }
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("pruning after selection", () => {
  it("drops the first pick once the later picks cover its statements, and says why", () => {
    expect(chosen.map((r) => r.columns.join()).sort()).toEqual(["x", "y"]);
    expect(notes.join("\n")).toMatch(/dropped events_tenant_[0-9a-f]+_adv after selection: the other picks cover it/);
    for (const r of chosen) {
      expect(r.statements).toHaveLength(1);
      expect(r.benefit).toBeGreaterThan(r.overhead);
    }
  });
});
