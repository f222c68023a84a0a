/**
 * A throwaway Netra database for the advisor tests: created from template1 (which has
 * pg_stat_statements and hypopg), migrated, seeded, dropped afterwards. pg_stat_statements
 * is per cluster, so resets and reads are filtered to this database's oid.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { migratePostgres } from "../../scripts/migrate.ts";
import { seedDatabase, type SeedOptions } from "../../scripts/seed.ts";
import { dropDatabase } from "../../scripts/lib/drop-database.ts";

export const adminUrl = process.env.DATABASE_URL || localUrls().DATABASE_URL;

export interface TestDatabase {
  name: string;
  url: string;
  client: pg.Client;
  /** A second connection, for the workload (and for holding locks against the first). */
  connect(): Promise<pg.Client>;
  resetStatements(): Promise<void>;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** template0 has neither extension (and role netra may not create them): a server without both. */
export async function createTestDatabase(seed: SeedOptions | undefined, template: "template1" | "template0" = "template1"): Promise<TestDatabase> {
  const name = `netra_test_adv_${randomBytes(5).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  await migratePostgres(url, { log: () => undefined });
  if (seed !== undefined) await seedDatabase(url, { ...seed, log: () => undefined });
  const opened: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: url, application_name: "netra-advisor-test" });
    await c.connect();
    opened.push(c);
    return c;
  };
  const client = await connect();
  await client.query("ANALYZE");
  return {
    name,
    url,
    client,
    connect,
    async resetStatements() {
      await client.query("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
    },
    async drop() {
      for (const c of opened) await c.end().catch(() => undefined);
      await admin((c) => dropDatabase(c, name));
    },
  };
}

/**
 * Runs each statement `times` times with parameters from `params(i)` (extended protocol:
 * pg_stat_statements sees $n) on a connection of its own, closed at the end so its table
 * statistics are flushed before the advisor reads them.
 */
export async function runWorkload(
  db: TestDatabase,
  statements: readonly { sql: string; params: (i: number) => unknown[]; times: number }[],
): Promise<void> {
  const client = await db.connect();
  try {
    for (const statement of statements) {
      for (let i = 0; i < statement.times; i++) await client.query(statement.sql, statement.params(i));
    }
    await client.query("SELECT pg_stat_force_next_flush()");
  } finally {
    await client.end();
  }
}

/** The workload the issue names: users by email, audit logs by user and time, agent states by user, plus lookups an index already serves. */
export const NETRA_WORKLOAD = [
  { sql: "SELECT id, display_name, plan_tier FROM users WHERE email = $1", params: (i: number) => [`nobody${i}@example.com`], times: 30 },
  {
    sql: "SELECT id, action, resource, occurred_at FROM audit_logs WHERE user_id = $1 AND occurred_at >= $2 ORDER BY occurred_at DESC LIMIT 50",
    params: (i: number) => [1 + (i % 50), "2026-05-01T00:00:00Z"],
    times: 30,
  },
  {
    sql: "SELECT session_id, state, updated_at FROM agent_states WHERE user_id = $1 ORDER BY updated_at DESC LIMIT 20",
    params: (i: number) => [1 + (i % 50)],
    times: 30,
  },
  // Served already: the primary key and the unique index on lower(email).
  { sql: "SELECT * FROM agent_states WHERE session_id = $1", params: (i: number) => [`s-${i}`], times: 30 },
  { sql: "SELECT id FROM users WHERE lower(email) = lower($1)", params: (i: number) => [`X${i}@example.com`], times: 30 },
  { sql: "SELECT id, email FROM users WHERE id = $1", params: (i: number) => [i + 1], times: 30 },
] as const;
