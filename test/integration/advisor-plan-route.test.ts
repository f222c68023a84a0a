/**
 * Statements the JS parser cannot read or index well, read through Postgres' own generic
 * plans: a JSONB field compared with `->> $1` (pg_stat_statements turns the key into $1),
 * lower(), a prefix LIKE on a column whose collation is not C, a constant predicate
 * (partial index) and a statement nothing can read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdvisor, type AdvisorReport } from "../../shared/db/advisor/index.ts";
import { statementTotals } from "../../shared/db/advisor/verify.ts";
import { createTestDatabase, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let report: AdvisorReport;

const find = (pattern: RegExp) => report.workload.find((s) => pattern.test(s.query));
const servedBy = (queryid: string | undefined) => report.recommendations.filter((r) => r.statements.some((e) => e.queryid === queryid));

beforeAll(async () => {
  db = await createTestDatabase(undefined);
  await db.client.query(`CREATE TABLE items (
    id bigint PRIMARY KEY, sku text NOT NULL, title text COLLATE "C.utf8" NOT NULL, attrs jsonb NOT NULL,
    archived boolean NOT NULL, shop_id int NOT NULL, created_at timestamptz NOT NULL)`);
  await db.client.query(`INSERT INTO items
    SELECT g, 'SKU-' || g, (ARRAY['alpha','bravo','charlie','delta','echo','foxtrot'])[1 + g % 6] || ' item ' || g,
           jsonb_build_object('brand', 'b' || (g % 5000), 'size', g % 7),
           g % 50 <> 0, g % 400, timestamptz '2026-01-01' + (g % 100000) * interval '1 minute'
    FROM generate_series(1, 120000) g`);
  await db.client.query("CREATE TABLE ghost (a int)");
  await db.client.query("ANALYZE items");
  await db.resetStatements();
  await runWorkload(db, [
    { sql: "SELECT id, title FROM items WHERE attrs ->> 'brand' = $1", params: (i) => [`b${i}`], times: 20 },
    { sql: "SELECT id FROM items WHERE lower(sku) = lower($1)", params: (i) => [`sku-${i}`], times: 20 },
    { sql: "SELECT id, title FROM items WHERE title LIKE $1", params: (i) => [`delta item ${i}%`], times: 20 },
    { sql: "SELECT id, shop_id FROM items WHERE NOT archived AND shop_id = $1", params: (i) => [i % 400], times: 20 },
    { sql: "SELECT 1 WHERE $1::int > 0", params: () => [1], times: 20 },
    // Dropped after it ran: pg_stat_statements still has it, Postgres cannot plan it any more.
    { sql: "SELECT a FROM ghost WHERE a = $1", params: (i) => [i], times: 20 },
  ]);
  await db.client.query("DROP TABLE ghost");
  // Created after the last ANALYZE and read by the workload: no statistics.
  await db.client.query("CREATE TABLE fresh (a int)");
  await runWorkload(db, [{ sql: "SELECT a FROM fresh WHERE a = $1", params: (i) => [i], times: 20 }]);
  report = await runAdvisor(db.client, { minTotalMs: 0, minCalls: 5 });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("the plan route", () => {
  it("gives every statement candidates or a stated reason", () => {
    expect(report.coverage).toHaveLength(report.workload.length);
    for (const entry of report.coverage) {
      expect(entry.candidates > 0 || (entry.reason ?? "").length > 0).toBe(true);
      expect(entry.outcome?.length ?? 0).toBeGreaterThan(0);
    }
  });

  it("indexes a JSONB field whose key pg_stat_statements made a placeholder, with the key from the data", () => {
    const statement = find(/attrs ->> \$\d/);
    expect(statement?.representative?.[0]).toMatch(/JSON key 'brand'/);
    const recs = servedBy(statement?.queryid);
    expect(recs.map((r) => r.columns[0])).toContain("(attrs ->> 'brand'::text)");
    expect(recs[0]!.ddl).toContain(`USING btree ((attrs ->> 'brand'::text))`);
  });

  it("indexes lower(...) as an expression", () => {
    const recs = servedBy(find(/lower\(sku\)/)?.queryid);
    expect(recs.map((r) => r.columns.join())).toContain("(lower(sku))");
  });

  it("uses text_pattern_ops for a prefix LIKE under a non-C collation, from a representative pattern whose value is not stored", () => {
    const statement = find(/title LIKE \$1/)!;
    expect(statement.representative?.[0]).toMatch(/prefix search/);
    expect(JSON.stringify(report)).not.toMatch(/'(alp|bra|cha|del|ech|fox)[^']*%'/);
    const recs = servedBy(statement.queryid).filter((r) => r.patternOps?.includes("title"));
    expect(recs).toHaveLength(1);
    expect(recs[0]!.ddl).toContain('"title" text_pattern_ops');
  });

  it("offers a partial index for a constant predicate", () => {
    const recs = servedBy(find(/NOT archived/)?.queryid);
    expect(recs.length).toBeGreaterThan(0);
    expect(recs.some((r) => r.where === "NOT archived" && r.columns[0] === "shop_id")).toBe(true);
  });

  it("states why a statement gave no candidates", () => {
    const constant = report.coverage.find((c) => c.queryid === find(/WHERE \$1::int/)?.queryid);
    expect(constant).toMatchObject({ candidates: 0, reason: expect.stringMatching(/reads no table/) });
    const dropped = report.coverage.find((c) => c.queryid === find(/FROM ghost/)?.queryid);
    expect(dropped).toMatchObject({ candidates: 0, reason: expect.stringMatching(/Postgres cannot plan it \(relation "ghost" does not exist\)/) });
  });

  it("reads statement totals for verification from top-level executions only (EXPLAINs nest entries under the same queryid)", async () => {
    const statement = find(/lower\(sku\)/)!;
    // What the advisor's planner does: nested executor runs with no execution time.
    await db.client.query("PREPARE probe AS SELECT id FROM items WHERE lower(sku) = lower($1)");
    for (let i = 0; i < 3; i++) await db.client.query("EXPLAIN (FORMAT JSON) EXECUTE probe(NULL)");
    await db.client.query("DEALLOCATE probe");
    const totals = await statementTotals(db.client);
    expect(totals.get(statement.queryid)).toMatchObject({ calls: 20 });
    expect(totals.get(statement.queryid)!.totalMs).toBeGreaterThan(0);
  });

  it("leaves its own samples out of a later run's workload", async () => {
    const sampled = (text: string) => /jsonb_object_keys|::text AS v FROM \(SELECT \* FROM/.test(text);
    const { rows } = await db.client.query("SELECT query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())");
    expect(rows.some((r: { query: string }) => sampled(r.query))).toBe(true);
    const again = await runAdvisor(db.client, { minTotalMs: 0, minCalls: 1 });
    expect(again.workload.filter((s) => sampled(s.query))).toEqual([]);
  });

  it("names a table the workload reads that has no statistics", () => {
    expect(report.findings.filter((f) => f.kind === "missing_statistics").map((f) => f.subject)).toEqual(["public.fresh"]);
  });
});
