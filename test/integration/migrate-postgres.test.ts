import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../shared/db/migrate.ts";
import type { Migration, MigrationRunResult } from "../../shared/db/migration-types.ts";
import { postgresMigrations } from "../../shared/db/migrations/index.ts";
import { createExtensionIfPossible } from "../../shared/db/migrations/0002_extensions.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { migratePostgres } from "../../scripts/migrate.ts";
import { dropDatabase } from "../../scripts/lib/drop-database.ts";

const adminUrl = process.env.DATABASE_URL || localUrls().DATABASE_URL;
const database = `netra_test_${randomBytes(6).toString("hex")}`;
const url = withDatabase(adminUrl, database);
const clients: pg.Client[] = [];

function withDatabase(base: string, name: string): string {
  const parsed = new URL(base);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A session in the throwaway database; `schema` isolates a test's own schema_migrations. */
async function connect(schema?: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  if (schema !== undefined) {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET search_path = ${schema}, public`);
  }
  return client;
}

async function recorded(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>("SELECT id FROM schema_migrations ORDER BY id");
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await dropDatabase(admin, database);
  await admin.end();
});

describe("postgres migrations against a real server", () => {
  let db: pg.Client;
  let firstRun: MigrationRunResult;

  beforeAll(async () => {
    db = await connect();
    firstRun = await migratePostgres(url, { log: () => undefined });
  });

  it("applies every migration to a fresh database and records id, checksum and duration", async () => {
    expect(firstRun.applied.map((m) => m.id)).toEqual(postgresMigrations.map((m) => m.id));
    const { rows } = await db.query("SELECT id, checksum, applied_at, duration_ms FROM schema_migrations ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual(postgresMigrations.map((m) => m.id));
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.applied_at).toBeInstanceOf(Date);
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("is a no-op the second time", async () => {
    const again = await migratePostgres(url, { log: () => undefined });
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(postgresMigrations.map((m) => m.id));
    expect(await recorded(db)).toEqual(postgresMigrations.map((m) => m.id));
  });

  it("creates the domain and suite tables with keys and data-rule constraints only", async () => {
    const { rows: tables } = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(["agent_states", "api_keys", "audit_logs", "cron_runs", "schema_migrations", "users"]),
    );
    const { rows: constraints } = await db.query<{ conrelid: string; contype: string; n: string }>(
      `SELECT conrelid::regclass::text AS conrelid, contype, count(*) AS n FROM pg_constraint
       WHERE connamespace = 'public'::regnamespace GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const has = (table: string, type: string) => constraints.some((c) => c.conrelid === table && c.contype === type);
    for (const table of ["users", "audit_logs", "agent_states", "api_keys", "cron_runs"]) expect(has(table, "p")).toBe(true);
    expect(has("audit_logs", "f")).toBe(true);
    expect(has("agent_states", "f")).toBe(true);
    expect(has("users", "c")).toBe(true);
    // Secondary indexes are the advisor's job: the Netra domain tables carry only their primary keys and
    // the case-insensitive email rule. (The suite's own tables may have constraint-backing unique keys.)
    const { rows: indexes } = await db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'public'
       AND tablename IN ('users', 'audit_logs', 'agent_states') AND indexname NOT LIKE '%_pkey' ORDER BY 1`,
    );
    expect(indexes.map((i) => i.indexname)).toEqual(["users_email_lower_key"]);
    const comment = await db.query("SELECT obj_description('audit_logs'::regclass) AS c");
    expect(comment.rows[0].c).toMatch(/index advisor/);
  });

  it("rejects a plan_tier outside the allowed set", async () => {
    await expect(
      db.query("INSERT INTO users (email, plan_tier, role) VALUES ('a@example.com', 'platinum', 'member')"),
    ).rejects.toMatchObject({ code: "23514", constraint: "users_plan_tier_check" });
  });

  it("rejects an email that differs from an existing one only in case", async () => {
    await db.query("INSERT INTO users (email, plan_tier, role) VALUES ('Case@Example.com', 'free', 'member')");
    await expect(
      db.query("INSERT INTO users (email, plan_tier, role) VALUES ('case@example.COM', 'pro', 'admin')"),
    ).rejects.toMatchObject({ code: "23505" });
  });

  it("touches updated_at on update unless the writer sets it", async () => {
    const { rows } = await db.query(
      "INSERT INTO users (email, plan_tier, role, updated_at) VALUES ('touch@example.com', 'free', 'member', '2020-01-01Z') RETURNING id",
    );
    await db.query("UPDATE users SET plan_tier = 'pro' WHERE id = $1", [rows[0].id]);
    const after = await db.query("SELECT updated_at > now() - interval '1 minute' AS fresh FROM users WHERE id = $1", [rows[0].id]);
    expect(after.rows[0].fresh).toBe(true);
  });

  it("rejects an api key whose secret hash is not SHA-256 hex", async () => {
    await expect(
      db.query("INSERT INTO api_keys (key_id, name, secret_hash, scopes) VALUES ('nk_1', 'ci', 'plaintext', '{read}')"),
    ).rejects.toMatchObject({ code: "23514" });
  });

  it("refuses with MIGRATION_CHECKSUM_MISMATCH when an applied migration was edited", async () => {
    const client = await connect("checksum_case");
    const migration: Migration = { id: "0001_t", statements: ["CREATE TABLE t (x int)"] };
    await applyMigrations(client, { migrations: [migration] });
    const edited: Migration = { ...migration, statements: ["CREATE TABLE t (x bigint)"] };
    await expect(applyMigrations(client, { migrations: [edited] })).rejects.toMatchObject({
      code: "MIGRATION_CHECKSUM_MISMATCH",
      migrationId: "0001_t",
    });
  });
});

describe("postgres migration runner semantics on a real server", () => {
  it("lets two concurrent runners apply each migration exactly once", async () => {
    // The schema first: two concurrent CREATE SCHEMA IF NOT EXISTS race in Postgres itself.
    await connect("concurrent_case");
    const [a, b] = await Promise.all([connect("concurrent_case"), connect("concurrent_case")]);
    const results = await Promise.all([applyMigrations(a), applyMigrations(b)]);

    const appliedIds = results.flatMap((r) => r.applied.map((m) => m.id)).sort();
    expect(appliedIds).toEqual(postgresMigrations.map((m) => m.id));
    const { rows } = await a.query("SELECT id, count(*)::int AS n FROM schema_migrations GROUP BY id ORDER BY id");
    expect(rows).toEqual(postgresMigrations.map((m) => ({ id: m.id, n: 1 })));
  });

  it("runs a non-transactional migration, which CREATE INDEX CONCURRENTLY requires", async () => {
    const client = await connect("concurrently_case");
    const migrations: Migration[] = [
      { id: "0001_table", statements: ["CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz)"] },
      { id: "0002_index", statements: ["CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at ON events (at)"], transactional: false },
    ];
    await applyMigrations(client, { migrations });
    const { rows } = await client.query(
      "SELECT indisvalid FROM pg_index WHERE indexrelid = 'concurrently_case.events_at'::regclass",
    );
    expect(rows).toEqual([{ indisvalid: true }]);
    expect(await recorded(client)).toEqual(["0001_table", "0002_index"]);

    // The same statement inside a transaction is refused by Postgres: the flag is what made it work.
    const inTransaction = [{ id: "0003_index_tx", statements: ["CREATE INDEX CONCURRENTLY events_at2 ON events (at)"] }];
    await expect(applyMigrations(client, { migrations: [...migrations, ...inTransaction] })).rejects.toMatchObject({
      code: "MIGRATION_FAILED",
      migrationId: "0003_index_tx",
    });
  });

  it("rolls back every statement of a failing migration and leaves it unrecorded", async () => {
    const client = await connect("rollback_case");
    const migrations: Migration[] = [
      { id: "0001_partial", statements: ["CREATE TABLE kept_if_committed (x int)", "SELECT no_such_column FROM kept_if_committed"] },
    ];
    await expect(applyMigrations(client, { migrations })).rejects.toMatchObject({
      code: "MIGRATION_FAILED",
      statementIndex: 1,
    });
    const { rows } = await client.query("SELECT to_regclass('rollback_case.kept_if_committed') AS t");
    expect(rows[0].t).toBeNull();
    expect(await recorded(client)).toEqual([]);
  });

  it("warns instead of failing when an extension is missing from the server or off-limits to the role", async () => {
    const client = await connect("extension_case");
    const warnings: string[] = [];
    client.on("notice", (n) => n.severity === "WARNING" && warnings.push(n.message ?? ""));
    const { rows } = await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user");
    const superuser = rows[0].rolsuper as boolean;

    await applyMigrations(client, {
      migrations: [
        // Not shipped with any server: the pg_available_extensions branch.
        { id: "0001_missing", statements: [createExtensionIfPossible("netra_no_such_extension")] },
        // Shipped with PostgreSQL but untrusted: only a superuser may create it.
        { id: "0002_untrusted", statements: [createExtensionIfPossible("pg_buffercache")] },
      ],
    });

    expect(warnings.some((w) => w.includes("netra_no_such_extension is not installed"))).toBe(true);
    const created = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_buffercache'");
    if (superuser) expect(created.rowCount).toBe(1);
    else expect(warnings.some((w) => w.includes("may not create extension pg_buffercache"))).toBe(true);
    expect(await recorded(client)).toEqual(["0001_missing", "0002_untrusted"]);
  });
});

describe("scripts/migrate.ts", () => {
  it("exits 1 with a one-line error when Postgres is unreachable", async () => {
    const run = promisify(execFile)("npx", ["tsx", "scripts/migrate.ts", "--postgres"], {
      env: { ...process.env, DATABASE_URL: "postgres://netra:x@127.0.0.1:1/netra" },
    });
    const failure = await run.then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr.trim()).toMatch(/^migrate: postgres unreachable at 127\.0\.0\.1:1\/netra: .*ECONNREFUSED[^\n]*$/);
  });
});
