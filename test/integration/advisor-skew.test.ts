/**
 * Skewed columns: a status where one value is 95% of the rows. The generic plan costs
 * `status = $1` as a quarter of the table and wants no index; each call is planned for its
 * own value at run time, where the rare values want one. The advisor costs the value the
 * workload's rows per call point to (pg_stat_statements), says where it came from, and never
 * stores the value (here an e-mail address: personal data).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdvisor, type AdvisorReport } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let report: AdvisorReport;

const RARE = "held-by-alice@example.com";
/** 95% done, 4.5% queued, 0.5% the rare (personal) value: a generic plan reads a third of the table. */
const skewed = (g: string) => `CASE WHEN ${g} % 200 < 190 THEN 'done' WHEN ${g} % 200 < 199 THEN 'queued' ELSE '${RARE}' END`;

const find = (pattern: RegExp) => report.workload.find((s) => pattern.test(s.query))!;
const servedBy = (queryid: string) => report.recommendations.filter((r) => r.statements.some((e) => e.queryid === queryid));

beforeAll(async () => {
  db = await createTestDatabase(undefined);
  await db.client.query("CREATE TABLE jobs (id bigint PRIMARY KEY, status text NOT NULL, priority int NOT NULL, owner int NOT NULL, created_at timestamptz NOT NULL, payload text NOT NULL)");
  await db.client.query(`INSERT INTO jobs SELECT g, ${skewed("g")}, CASE WHEN g % 200 < 190 THEN 0 WHEN g % 200 < 199 THEN 1 ELSE 3 END,
                         g % 1000, timestamptz '2026-01-01' + g * interval '1 minute', repeat('x', 40) FROM generate_series(1, 200000) g`);
  await db.client.query("CREATE TABLE tasks (id bigint PRIMARY KEY, state text NOT NULL, payload text NOT NULL)");
  await db.client.query(`INSERT INTO tasks SELECT g, ${skewed("g")}, repeat('y', 40) FROM generate_series(1, 50000) g`);
  await db.client.query("ANALYZE jobs; ANALYZE tasks");
  await db.resetStatements();
  await runWorkload(db, [
    // The workload asks for the rare value: about 1,000 rows per call.
    { sql: "SELECT id, created_at FROM jobs WHERE status = $1", params: () => [RARE], times: 20 },
    // ... and for the common one here: about 47,500 rows per call.
    { sql: "SELECT id FROM tasks WHERE state = $1", params: () => ["done"], times: 8 },
    // One row per call whatever the value: the rows do not tell.
    { sql: "SELECT count(*) FROM jobs WHERE priority = $1", params: () => [3], times: 20 },
    // Uniform: the generic plan is right for every value.
    { sql: "SELECT id FROM jobs WHERE owner = $1", params: (i) => [i], times: 20 },
  ]);
  report = await runAdvisor(db.client, { minTotalMs: 0 });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe("representative values for skewed columns", () => {
  it("costs the rare value the rows per call point to, and recommends the index the generic plan misses", () => {
    const statement = find(/FROM jobs WHERE status = \$1/);
    const recs = servedBy(statement.queryid);
    expect(recs.map((r) => r.columns[0])).toContain("status");
    expect(statement.representative).toHaveLength(1);
    expect(statement.representative![0]).toMatch(/^jobs\.status is skewed \(its most common value is 9\d\.\d% of the rows, the rarest in pg_stats 0\.\d+%\): costed with the rarest value, as its estimated \d+ rows match the statement's 1000 rows per call in pg_stat_statements; value not stored$/);
    for (const effect of recs.flatMap((r) => r.statements)) expect(effect.costAfter).toBeLessThan(effect.costBefore / 2);
  });

  it("costs the common value when the workload asks for it, and recommends nothing for that statement", () => {
    const statement = find(/FROM tasks WHERE state = \$1/);
    expect(statement.representative?.[0]).toMatch(/^tasks\.state is skewed .*: costed with the most common value, as its estimated \d+ rows match the statement's 47500 rows per call/);
    expect(servedBy(statement.queryid)).toEqual([]);
    expect(report.recommendations.filter((r) => r.table === "tasks")).toEqual([]);
  });

  it("costs the rare value when the rows per call cannot tell, and says so", () => {
    const statement = find(/count\(\*\) FROM jobs WHERE priority = \$1/);
    expect(statement.representative?.[0]).toMatch(/jobs\.priority is skewed .*costed with the rarest value, as the statement's rows per call in pg_stat_statements do not tell the values apart/);
    expect(servedBy(statement.queryid).map((r) => r.columns[0])).toContain("priority");
  });

  it("never stores a value taken from the statistics", () => {
    expect(JSON.stringify(report)).not.toContain("alice");
  });

  it("leaves a column alone that is not skewed", () => {
    const statement = find(/FROM jobs WHERE owner = \$1/);
    expect(statement.representative).toBeUndefined();
    expect(servedBy(statement.queryid).map((r) => r.columns[0])).toContain("owner");
  });
});
