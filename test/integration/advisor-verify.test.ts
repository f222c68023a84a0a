/**
 * Verify after apply: a later run judges each earlier build from pg_stat_statements deltas.
 * An index that paid off is kept with its measured before/after; one whose measured benefit
 * is under half of the prediction is dropped in apply mode (and why recorded) and only
 * reported in what-if mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyse, resolveOptions, type AdvisorReport } from "../../shared/db/advisor/index.ts";
import { statementTotals, type BuildBaseline } from "../../shared/db/advisor/verify.ts";
import { createTestDatabase, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let first: AdvisorReport;
let second: AdvisorReport;

const WORKLOAD = [
  { sql: "SELECT id, total FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20", params: (i: number) => [i], times: 20 },
  // No index can help it (so a promise made for it cannot hold), and none is recommended for it:
  // a range such as `total > $1` would get one whose generic-plan prediction the run may or may not meet.
  { sql: "SELECT count(*) FROM orders", params: () => [], times: 20 },
];

const indexExists = async (name: string) => (await db.client.query("SELECT 1 FROM pg_class WHERE relname = $1", [name])).rows.length === 1;

/** A baseline that promises a 99% saving for a statement the index cannot help. */
async function falsePromise(name: string): Promise<BuildBaseline> {
  await db.client.query(`CREATE INDEX ${name} ON orders (status)`);
  const report = first.workload.find((s) => /^SELECT count\(\*\) FROM orders$/.test(s.query))!;
  const totals = await statementTotals(db.client);
  return {
    schema: "public", table: "orders", name, builtAt: new Date().toISOString(),
    statements: [{ queryid: report.queryid, meanMs: report.meanMs, costBefore: 1000, costAfter: 10, calls: report.calls }],
    writes: [],
    totals: { [report.queryid]: totals.get(report.queryid)! },
  };
}

const inserts = (from: number) => ({ sql: "INSERT INTO orders VALUES ($1, $2, 'new', 1, now())", params: (i: number) => [from + i, i], times: 20 });

/**
 * A baseline that saw its table's writes take next to no time before the build: the writes
 * measured after it are far more than 10% slower, whatever the reads gained.
 */
async function slowedWrites(name: string): Promise<BuildBaseline> {
  await db.client.query(`CREATE INDEX ${name} ON orders (total)`);
  const read = first.workload.find((s) => /customer_id = \$1/.test(s.query))!;
  const totals = await statementTotals(db.client);
  const { rows } = await db.client.query("SELECT queryid::text AS id FROM pg_stat_statements WHERE query LIKE 'INSERT INTO orders VALUES%' AND toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())");
  const insert = String(rows[0].id);
  return {
    schema: "public", table: "orders", name, builtAt: new Date().toISOString(),
    statements: [{ queryid: read.queryid, meanMs: read.meanMs, costBefore: 1000, costAfter: 1000, calls: read.calls }],
    writes: [{ queryid: insert, meanMs: 0.000001 }],
    totals: { [read.queryid]: totals.get(read.queryid)!, [insert]: totals.get(insert)! },
  };
}

beforeAll(async () => {
  db = await createTestDatabase(undefined);
  await db.client.query("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, total numeric NOT NULL, created_at timestamptz NOT NULL)");
  await db.client.query(`INSERT INTO orders SELECT g, g % 3000, (ARRAY['new','paid','shipped'])[1 + g % 3], g % 500, timestamptz '2026-01-01' + g * interval '40 seconds'
                         FROM generate_series(1, 200000) g`);
  await db.client.query("ANALYZE orders");
  await db.resetStatements();
  await runWorkload(db, WORKLOAD);
  first = await analyse(db.client, resolveOptions({ minTotalMs: 0, apply: true }));
  await runWorkload(db, [inserts(1_000_000)]);
  const applyMode = await falsePromise("orders_status_false_promise");
  const whatIfMode = await falsePromise("orders_status_false_promise_2");
  const slowing = await slowedWrites("orders_total_slowed_writes");
  // Traffic after the builds, then the later runs judge them.
  await runWorkload(db, [...WORKLOAD, inserts(2_000_000)]);
  second = await analyse(db.client, resolveOptions({ minTotalMs: 0, apply: true }), [...first.baselines, applyMode, slowing]);
  const whatIf = await analyse(db.client, resolveOptions({ minTotalMs: 0 }), [whatIfMode]);
  second.verification.push(...whatIf.verification);
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("verification of built indexes", () => {
  it("records a baseline for each index a run built", () => {
    const created = first.applied.filter((b) => b.status === "created").map((b) => b.name);
    expect(created.length).toBeGreaterThan(0);
    expect(first.baselines.map((b) => b.name).sort()).toEqual(created.sort());
    for (const baseline of first.baselines) expect(Object.keys(baseline.totals).length).toBeGreaterThan(0);
  });

  it("keeps an index that paid off, with its measured before and after per statement", () => {
    const kept = second.verification.filter((v) => first.baselines.some((b) => b.name === v.name));
    expect(kept.length).toBe(first.baselines.length);
    for (const v of kept) {
      expect(v).toMatchObject({ verdict: "held", action: "kept" });
      expect(v.sizeBytes).toBeGreaterThan(0);
      for (const s of v.statements) {
        expect(s.calls).toBe(20);
        expect(s.afterMs!).toBeLessThan(s.beforeMs);
      }
    }
  });

  it("drops, in apply mode, an index whose measured benefit is under half the prediction, and says why", async () => {
    const v = second.verification.find((x) => x.name === "orders_status_false_promise")!;
    expect(v).toMatchObject({ verdict: "below_prediction", action: "dropped" });
    expect(v.reason).toMatch(/under half of the predicted 99\.0%/);
    expect(await indexExists("orders_status_false_promise")).toBe(false);
  });

  it("drops, in apply mode, an index whose table's writes got more than 10% slower, with the write latency before and after", async () => {
    const v = second.verification.find((x) => x.name === "orders_total_slowed_writes")!;
    expect(v).toMatchObject({ verdict: "slowed_writes", action: "dropped", writeBeforeMs: 0.000001 });
    expect(v.writeAfterMs!).toBeGreaterThan(0.000001 * 1.1);
    expect(v.reason).toMatch(/^writes on its table went from 0\.000 to \d+\.\d{3} ms \(more than 10% slower\)$/);
    expect(await indexExists("orders_total_slowed_writes")).toBe(false);
  });

  it("only reports it in what-if mode", async () => {
    const v = second.verification.find((x) => x.name === "orders_status_false_promise_2")!;
    expect(v).toMatchObject({ verdict: "below_prediction", action: "reported" });
    expect(await indexExists("orders_status_false_promise_2")).toBe(true);
  });
});
