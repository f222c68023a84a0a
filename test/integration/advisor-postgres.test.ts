import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdvisor, withAdvisorLock, AdvisorError, type AdvisorReport, type SessionExecutor } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, NETRA_WORKLOAD, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

let db: TestDatabase;
let report: AdvisorReport;

const key = (r: { table: string; columns: string[] }) => `${r.table}(${r.columns.join(",")})`;

beforeAll(async () => {
  db = await createTestDatabase({ users: 3_000, auditLogs: 100_000, agentStates: 4_000, seed: 11, anchor: new Date("2026-06-01T00:00:00Z") });
  // Hand-made indexes for the findings: a prefix-covered one, and two that only look similar.
  await db.client.query("CREATE TABLE notes (id bigint PRIMARY KEY, owner bigint NOT NULL, topic text NOT NULL, created_at timestamptz NOT NULL, code text NOT NULL)");
  await db.client.query("CREATE INDEX notes_owner ON notes (owner)");
  await db.client.query("CREATE INDEX notes_owner_created ON notes (owner, created_at)");
  await db.client.query("CREATE INDEX notes_owner_recent ON notes (owner) WHERE created_at > '2026-01-01'");
  await db.client.query("CREATE UNIQUE INDEX notes_code_key ON notes (code)");
  await db.client.query("CREATE INDEX notes_code_topic ON notes (code, topic)");
  await db.client.query("CREATE INDEX notes_lower_topic ON notes (lower(topic))");
  await db.client.query("CREATE INDEX notes_topic ON notes (topic)");
  await db.client.query("CREATE INDEX notes_owner_desc ON notes (owner DESC)");
  await db.resetStatements();
  await runWorkload(db, NETRA_WORKLOAD);
  // Every statement counts, however fast: the served ones must be seen and still not get an index.
  report = await runAdvisor(db.client, { minTotalMs: 0, minCalls: 5 });
});

afterAll(async () => {
  await db?.drop();
});

describe("index advisor on the seeded Netra schema (what-if with hypopg)", () => {
  it("sees the workload through pg_stat_statements of this database only", () => {
    expect(report.capabilities).toMatchObject({ pgStatStatements: true, hypopg: true, mode: "what-if" });
    const texts = report.workload.map((s) => s.query);
    expect(texts.some((q) => q.includes("FROM users WHERE email = $1"))).toBe(true);
    expect(texts.some((q) => q.includes("WHERE session_id = $1"))).toBe(true);
    expect(report.workload.every((s) => s.calls >= 5)).toBe(true);
  });

  it("recommends users by email, audit logs by user and time (multi-column) and agent states by user", () => {
    const keys = report.recommendations.map(key);
    expect(keys).toContain("users(email)");
    expect(keys).toContain("audit_logs(user_id,occurred_at)");
    expect(keys.some((k) => k.startsWith("agent_states(user_id"))).toBe(true);
    for (const r of report.recommendations) {
      expect(r.evidence).toBe("what-if");
      expect(r.benefit).toBeGreaterThan(r.overhead);
      expect(r.statements.length).toBeGreaterThan(0);
      for (const effect of r.statements) expect(effect.costAfter).toBeLessThan(effect.costBefore);
      expect(r.ddl).toMatch(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS "[a-z0-9_]+_adv" ON "public"\."[a-z_]+" USING btree \(/);
    }
  });

  it("recommends nothing for statements an index already serves", () => {
    const served = report.workload.filter((s) => /session_id = \$1|lower\(email\)|WHERE id = \$1/.test(s.query));
    expect(served).toHaveLength(3);
    const helped = new Set(report.recommendations.flatMap((r) => r.statements.map((e) => e.queryid)));
    for (const statement of served) expect(helped.has(statement.queryid)).toBe(false);
    expect(report.recommendations.map(key)).not.toContain("agent_states(session_id)");
  });

  it("does not recommend the same lookups twice (a prefix of a chosen index)", () => {
    const keys = report.recommendations.map(key);
    expect(keys).not.toContain("audit_logs(user_id)");
  });

  it("finds the prefix-covered duplicate and calls no partial, unique, expression or DESC index a duplicate", () => {
    const duplicates = report.findings.filter((f) => f.kind === "duplicate_index");
    expect(duplicates.map((f) => f.subject)).toEqual(["public.notes_owner"]);
    expect(duplicates[0]?.evidence).toMatchObject({ covered_by: "public.notes_owner_created", exact: false });
  });

  it("lists unused indexes with the stats age, never primary keys or unique ones", () => {
    const unused = report.findings.filter((f) => f.kind === "unused_index").map((f) => f.subject);
    expect(unused).toContain("public.notes_owner_created");
    expect(unused).not.toContain("public.notes_pkey");
    expect(unused).not.toContain("public.notes_code_key");
    expect(unused).not.toContain("public.users_email_lower_key");
    const one = report.findings.find((f) => f.kind === "unused_index");
    expect(one?.evidence).toHaveProperty("stats_reset");
    expect(one?.evidence).toHaveProperty("stats_age_hours");
  });

  it("reports heavy sequential scans with their numbers", async () => {
    const heavy = await runAdvisor(db.client, { seqScanTupleThreshold: 10_000 });
    const finding = heavy.findings.find((f) => f.kind === "heavy_seq_scan" && f.subject === "public.audit_logs");
    expect(finding?.evidence.seq_tup_read).toBeGreaterThanOrEqual(10_000);
  });

  it("reports the INVALID index a failed concurrent build leaves", async () => {
    await db.client.query("INSERT INTO notes VALUES (1, 1, 'a', now(), 'x'), (2, 1, 'a', now(), 'y')");
    await expect(db.client.query("CREATE UNIQUE INDEX CONCURRENTLY notes_topic_key ON notes (topic)")).rejects.toThrow(/could not create unique index/);
    const again = await runAdvisor(db.client, {});
    const invalid = again.findings.filter((f) => f.kind === "invalid_index").map((f) => f.subject);
    expect(invalid).toEqual(["public.notes_topic_key"]);
    await db.client.query("DROP INDEX notes_topic_key");
  });

  it("never runs twice at once: a second run is refused while one holds the lock", async () => {
    const other = await db.connect();
    let release!: () => void;
    let acquired!: () => void;
    const ready = new Promise<void>((resolve) => (acquired = resolve));
    const held = withAdvisorLock(other, () => {
      acquired();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await ready;
    await expect(runAdvisor(db.client, {})).rejects.toMatchObject({ code: "ADVISOR_LOCKED" });
    await expect(runAdvisor(db.client, {})).rejects.toBeInstanceOf(AdvisorError);
    release();
    await held;
    await expect(runAdvisor(db.client, {})).resolves.toHaveProperty("capabilities");
  });

  it("degrades to rule-based recommendations without hypopg, and says so", async () => {
    // role netra may not drop the extension, so the advisor is shown a catalog without it.
    const sent: string[] = [];
    const withoutHypopg: SessionExecutor = {
      query: async (sql, params) => {
        sent.push(sql);
        const result = await db.client.query(sql, params);
        return /FROM pg_extension/.test(sql) ? { rows: result.rows.filter((r: { extname?: string }) => r.extname !== "hypopg") } : result;
      },
    };
    const rules = await runAdvisor(withoutHypopg, { minTotalMs: 0 });
    expect(rules.capabilities.mode).toBe("rule-based");
    expect(rules.capabilities.notes.join(" ")).toMatch(/hypopg is not available.*rule-based/);
    // Postgres still reads the statements (plans), but nothing is costed with hypothetical indexes.
    expect(sent.filter((sql) => /hypopg_create_index/.test(sql))).toEqual([]);
    expect(rules.evaluations).toBeLessThanOrEqual(2 * rules.workload.length);
    expect(rules.recommendations.length).toBeGreaterThan(0);
    expect(rules.recommendations.every((r) => r.evidence === "rule-based")).toBe(true);
    const keys = rules.recommendations.map(key);
    expect(keys).toContain("users(email)");
    expect(keys).toContain("audit_logs(user_id,occurred_at)");
    expect(keys).not.toContain("agent_states(session_id)");
  });
});

describe("index advisor on a server without pg_stat_statements or hypopg", () => {
  let bare: TestDatabase;
  beforeAll(async () => {
    bare = await createTestDatabase({ users: 100, auditLogs: 1_000, agentStates: 50, seed: 1 }, "template0");
  });
  afterAll(async () => {
    await bare?.drop();
  });

  it("reports that it cannot see the workload, with the fix, and still gives the catalog findings", async () => {
    await bare.client.query("CREATE INDEX al_user ON audit_logs (user_id)");
    await bare.client.query("CREATE INDEX al_user_time ON audit_logs (user_id, occurred_at)");
    const blind = await runAdvisor(bare.client, {});
    expect(blind.capabilities).toMatchObject({ pgStatStatements: false, hypopg: false, mode: "none" });
    expect(blind.workload).toEqual([]);
    expect(blind.recommendations).toEqual([]);
    expect(blind.capabilities.notes.join(" ")).toMatch(/cannot be seen.*shared_preload_libraries.*CREATE EXTENSION pg_stat_statements/);
    expect(blind.findings.filter((f) => f.kind === "duplicate_index").map((f) => f.subject)).toEqual(["public.al_user"]);
  });
});
