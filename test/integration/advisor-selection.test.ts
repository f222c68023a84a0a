/**
 * Whole-workload selection: a composite (equality, then range/sort) index that serves three
 * statements completely beats a single-column index on the timestamp that helps all four a
 * little, even under a cap of one; and without a cap, picks the others cover are pruned.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdvisor, type AdvisorReport } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let capped: AdvisorReport;
let free: AdvisorReport;
const key = (r: { columns: string[]; include: string[]; where?: string }) => `${r.columns.join(",")}${r.include.length ? `+${r.include.join(",")}` : ""}${r.where ? ` where ${r.where}` : ""}`;

beforeAll(async () => {
  db = await createTestDatabase(undefined);
  await db.client.query("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, total numeric NOT NULL, created_at timestamptz NOT NULL)");
  await db.client.query(`INSERT INTO orders SELECT g, g % 3000, (ARRAY['new','paid','shipped'])[1 + g % 3], g % 500, timestamptz '2026-01-01' + g * interval '40 seconds'
                         FROM generate_series(1, 200000) g`);
  await db.client.query("ANALYZE orders");
  await db.resetStatements();
  const since = (i: number) => new Date(Date.parse("2026-02-01T00:00:00Z") + (i % 10) * 86_400_000).toISOString();
  await runWorkload(db, [
    { sql: "SELECT id, total FROM orders WHERE customer_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT 20", params: (i) => [i, since(i)], times: 20 },
    { sql: "SELECT count(*) FROM orders WHERE customer_id = $1 AND created_at >= $2", params: (i) => [i + 1, since(i)], times: 20 },
    { sql: "SELECT sum(total) FROM orders WHERE customer_id = $1 AND created_at >= $2 AND created_at < $3", params: (i) => [i + 2, since(i), "2026-03-01T00:00:00Z"], times: 20 },
    // The timestamp alone helps this one a little too (a third of the table either way).
    { sql: "SELECT sum(total) FROM orders WHERE total > $1 AND created_at >= $2", params: (i) => [i % 50, since(i)], times: 20 },
  ]);
  capped = await runAdvisor(db.client, { minTotalMs: 0, maxIndexes: 1 });
  free = await runAdvisor(db.client, { minTotalMs: 0 });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("whole-workload selection", () => {
  it("under a cap of one, takes the composite that serves three statements over the timestamp alone", () => {
    expect(capped.recommendations).toHaveLength(1);
    expect(capped.recommendations[0]!.columns.slice(0, 2)).toEqual(["customer_id", "created_at"]);
  });

  it("without a cap, stops on marginal benefit and keeps only picks that pay for themselves", () => {
    const keys = free.recommendations.map(key);
    expect(keys.some((k) => k.startsWith("customer_id,created_at"))).toBe(true);
    expect(keys).not.toContain("customer_id");
    // Every pick is read by some statement with all picks in place, and pays for itself.
    for (const r of free.recommendations) {
      expect(r.statements.length).toBeGreaterThan(0);
      expect(r.benefit).toBeGreaterThan(r.overhead);
    }
    expect(free.recommendations.length).toBeLessThan(6);
  });
});
