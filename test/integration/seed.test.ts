import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { migratePostgres } from "../../scripts/migrate.ts";
import { seedDatabase, type SeedOptions } from "../../scripts/seed.ts";
import { dropDatabase } from "../../scripts/lib/drop-database.ts";

const adminUrl = process.env.DATABASE_URL || localUrls().DATABASE_URL;
const database = `netra_test_${randomBytes(6).toString("hex")}`;
const url = (() => {
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${database}`;
  return parsed.toString();
})();

const SMALL: SeedOptions = { users: 250, auditLogs: 4_000, agentStates: 300, seed: 7, anchor: new Date("2026-06-01T00:00:00Z") };
let db: pg.Client;

/** One digest over every seeded row, in key order. */
async function fingerprint(): Promise<string> {
  const { rows } = await db.query<{ digest: string }>(`SELECT md5(
    (SELECT string_agg(t::text, '|' ORDER BY id) FROM users t) ||
    (SELECT string_agg(t::text, '|' ORDER BY id) FROM audit_logs t) ||
    (SELECT string_agg(t::text, '|' ORDER BY session_id) FROM agent_states t)) AS digest`);
  return rows[0]!.digest;
}

async function counts(): Promise<Record<string, number>> {
  const { rows } = await db.query(`SELECT
    (SELECT count(*) FROM users)::int AS users,
    (SELECT count(*) FROM audit_logs)::int AS "auditLogs",
    (SELECT count(*) FROM agent_states)::int AS "agentStates"`);
  return rows[0];
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  await migratePostgres(url, { log: () => undefined });
  db = new pg.Client({ connectionString: url });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await dropDatabase(admin, database);
  await admin.end();
});

describe("seed generator against a real server", () => {
  let firstDigest: string;

  it("inserts exactly the requested counts", async () => {
    const result = await seedDatabase(url, SMALL);
    expect(result).toMatchObject({ users: 250, auditLogs: 4_000, agentStates: 300, seed: 7 });
    expect(await counts()).toEqual({ users: 250, auditLogs: 4_000, agentStates: 300 });
    firstDigest = await fingerprint();
  });

  it("produces identical rows for the same arguments", async () => {
    await seedDatabase(url, { ...SMALL, reset: true });
    expect(await fingerprint()).toBe(firstDigest);
  });

  it("produces different rows for a different seed", async () => {
    await seedDatabase(url, { ...SMALL, seed: 8, reset: true });
    expect(await fingerprint()).not.toBe(firstDigest);
    await seedDatabase(url, { ...SMALL, reset: true });
  });

  it("refuses a non-empty users table without reset and leaves the data untouched", async () => {
    await expect(seedDatabase(url, SMALL)).rejects.toMatchObject({ code: "SEED_TABLES_NOT_EMPTY" });
    expect(await fingerprint()).toBe(firstDigest);
  });

  it("does nothing and says so with ifEmpty when data is present", async () => {
    await expect(seedDatabase(url, { ...SMALL, ifEmpty: true })).resolves.toBeUndefined();
    expect(await counts()).toEqual({ users: 250, auditLogs: 4_000, agentStates: 300 });
  });

  it("keeps within the schema's rules and the requested time window", async () => {
    const { rows } = await db.query(`SELECT
      (SELECT count(DISTINCT lower(email)) FROM users)::int AS emails,
      (SELECT min(occurred_at) FROM audit_logs) AS first_event,
      (SELECT max(occurred_at) FROM audit_logs) AS last_event,
      (SELECT bool_and(a.occurred_at <= b.occurred_at) FROM audit_logs a JOIN audit_logs b ON b.id = a.id + 1) AS ids_follow_time,
      (SELECT count(*) FILTER (WHERE plan_tier = 'free') > count(*) / 2 FROM users) AS mostly_free,
      (SELECT count(DISTINCT action) FROM audit_logs)::int AS actions`);
    const r = rows[0];
    expect(r.emails).toBe(250);
    expect(r.first_event.getTime()).toBeGreaterThanOrEqual(Date.parse("2026-03-03T00:00:00Z"));
    expect(r.last_event.getTime()).toBeLessThan(Date.parse("2026-06-01T00:00:00Z"));
    expect(r.ids_follow_time).toBe(true);
    expect(r.mostly_free).toBe(true);
    expect(r.actions).toBeGreaterThanOrEqual(15);
  });

  it("concentrates activity on a few users (Zipf-like)", async () => {
    const { rows } = await db.query(`SELECT sum(n) FILTER (WHERE rank <= 25)::float / sum(n) AS top_share FROM (
      SELECT count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS rank FROM audit_logs WHERE user_id IS NOT NULL GROUP BY user_id) s`);
    // The top 10% of users account for far more than 10% of events.
    expect(rows[0].top_share).toBeGreaterThan(0.35);
  });

  it("leaves identity sequences past the seeded ids so application inserts keep working", async () => {
    const { rows } = await db.query(
      "INSERT INTO users (email, plan_tier, role) VALUES ('after-seed@example.com', 'free', 'member') RETURNING id",
    );
    expect(Number(rows[0].id)).toBe(251);
    await db.query("DELETE FROM users WHERE id = 251");
  });

  it("exits 1 from the command line when the tables are not empty", async () => {
    const run = promisify(execFile)("npx", ["tsx", "scripts/seed.ts", "--users", "10", "--audit-logs", "10", "--agent-states", "0"], {
      env: { ...process.env, DATABASE_URL: url },
    });
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/refusing to seed: users, audit_logs, agent_states already hold rows \(pass --reset/);
  });
});
