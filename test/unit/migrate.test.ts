import { describe, expect, it } from "vitest";
import { applyClickHouseMigrations, type ClickHouseExecutor } from "../../shared/analytics/migrate.ts";
import { clickHouseMigrations } from "../../shared/analytics/migrations/index.ts";
import { applyMigrations, type MigrationLock, type SessionExecutor } from "../../shared/db/migrate.ts";
import { migrationChecksum } from "../../shared/db/migration-plan.ts";
import { MigrationError, type Migration } from "../../shared/db/migration-types.ts";
import { postgresMigrations } from "../../shared/db/migrations/index.ts";

/** Records every statement; keeps schema_migrations rows in memory; fails statements on demand. */
class FakePostgres implements SessionExecutor {
  readonly log: string[] = [];
  readonly recorded = new Map<string, string>();
  private pending = new Map<string, string>();
  private inTransaction = false;

  constructor(private readonly failOn?: string) {}

  async query(sql: string, params: unknown[] = []): Promise<{ rows: Record<string, unknown>[] }> {
    this.log.push(sql);
    if (sql === this.failOn) throw new Error(`boom: ${sql}`);
    if (sql === "BEGIN") this.inTransaction = true;
    if (sql === "COMMIT") this.commit();
    if (sql === "ROLLBACK") this.rollback();
    if (sql.startsWith("SELECT id, checksum FROM schema_migrations")) {
      return { rows: [...this.recorded].map(([id, checksum]) => ({ id, checksum })) };
    }
    if (sql.startsWith("INSERT INTO schema_migrations")) {
      (this.inTransaction ? this.pending : this.recorded).set(String(params[0]), String(params[1]));
    }
    return { rows: [] };
  }

  private commit(): void {
    for (const [id, checksum] of this.pending) this.recorded.set(id, checksum);
    this.rollback();
  }

  private rollback(): void {
    this.pending = new Map();
    this.inTransaction = false;
  }

  /** The migration statements run, without bookkeeping and lock noise. */
  statements(): string[] {
    return this.log.filter((sql) => sql.startsWith("--"));
  }
}

function trackingLock(): MigrationLock & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    acquire: async () => void events.push("acquire"),
    release: async () => void events.push("release"),
  };
}

const first: Migration = { id: "0001_first", statements: ["-- 1a", "-- 1b"] };
const second: Migration = { id: "0002_second", statements: ["-- 2a"] };
const concurrently: Migration = { id: "0003_concurrently", statements: ["-- 3a"], transactional: false };

describe("postgres migration runner", () => {
  it("applies migrations in id order, each inside its own transaction with its record", async () => {
    const db = new FakePostgres();
    const result = await applyMigrations(db, { migrations: [first, second], lock: trackingLock() });

    expect(result.applied.map((m) => m.id)).toEqual(["0001_first", "0002_second"]);
    expect(result.skipped).toEqual([]);
    const body = db.log.filter((sql) => !sql.startsWith("CREATE TABLE IF NOT EXISTS schema_migrations") && !sql.startsWith("SELECT"));
    expect(body.map((sql) => sql.split(" (")[0])).toEqual([
      "BEGIN", "-- 1a", "-- 1b", "INSERT INTO schema_migrations", "COMMIT",
      "BEGIN", "-- 2a", "INSERT INTO schema_migrations", "COMMIT",
    ]);
    expect(db.recorded.get("0001_first")).toBe(await migrationChecksum(first));
  });

  it("skips migrations already recorded and reports them", async () => {
    const db = new FakePostgres();
    await applyMigrations(db, { migrations: [first], lock: trackingLock() });
    db.log.length = 0;

    const result = await applyMigrations(db, { migrations: [first, second], lock: trackingLock() });

    expect(result.applied.map((m) => m.id)).toEqual(["0002_second"]);
    expect(result.skipped).toEqual(["0001_first"]);
    expect(db.statements()).toEqual(["-- 2a"]);
  });

  it("is a no-op the second time", async () => {
    const db = new FakePostgres();
    await applyMigrations(db, { migrations: [first, second], lock: trackingLock() });
    db.log.length = 0;

    const result = await applyMigrations(db, { migrations: [first, second], lock: trackingLock() });

    expect(result.applied).toEqual([]);
    expect(result.skipped).toEqual(["0001_first", "0002_second"]);
    expect(db.statements()).toEqual([]);
  });

  it("refuses with MIGRATION_CHECKSUM_MISMATCH when an applied migration was edited, applying nothing", async () => {
    const db = new FakePostgres();
    await applyMigrations(db, { migrations: [first], lock: trackingLock() });
    db.log.length = 0;
    const edited: Migration = { ...first, statements: ["-- 1a", "-- 1b changed"] };

    const run = applyMigrations(db, { migrations: [edited, second], lock: trackingLock() });

    await expect(run).rejects.toMatchObject({ code: "MIGRATION_CHECKSUM_MISMATCH", migrationId: "0001_first" });
    expect(db.statements()).toEqual([]);
  });

  it("runs a non-transactional migration without BEGIN/COMMIT and records it after its statements", async () => {
    const db = new FakePostgres();
    const result = await applyMigrations(db, { migrations: [concurrently], lock: trackingLock() });

    expect(result.applied.map((m) => m.id)).toEqual(["0003_concurrently"]);
    expect(db.log).not.toContain("BEGIN");
    const statementAt = db.log.indexOf("-- 3a");
    const recordAt = db.log.findIndex((sql) => sql.startsWith("INSERT INTO schema_migrations"));
    expect(statementAt).toBeGreaterThan(-1);
    expect(recordAt).toBeGreaterThan(statementAt);
    expect(db.recorded.has("0003_concurrently")).toBe(true);
  });

  it("rolls back a failing migration, keeps earlier ones and reports the failing statement", async () => {
    const db = new FakePostgres("-- 2a");
    const run = applyMigrations(db, { migrations: [first, second], lock: trackingLock() });

    await expect(run).rejects.toMatchObject({ code: "MIGRATION_FAILED", migrationId: "0002_second", statementIndex: 0 });
    expect(db.log.at(-1)).toBe("ROLLBACK");
    expect([...db.recorded.keys()]).toEqual(["0001_first"]);
  });

  it("does not record a failed non-transactional migration, so it runs again next time", async () => {
    const db = new FakePostgres("-- 3a");
    await expect(applyMigrations(db, { migrations: [concurrently], lock: trackingLock() })).rejects.toBeInstanceOf(MigrationError);
    expect(db.recorded.size).toBe(0);
  });

  it("holds the lock for the whole run and releases it after a failure", async () => {
    const lock = trackingLock();
    const db = new FakePostgres("-- 1a");
    await expect(applyMigrations(db, { migrations: [first], lock })).rejects.toThrow(/0001_first failed at statement 1/);
    expect(lock.events).toEqual(["acquire", "release"]);
  });

  it("defaults to a session advisory lock taken before and released after everything else", async () => {
    const db = new FakePostgres();
    await applyMigrations(db, { migrations: [first] });
    expect(db.log[0]).toMatch(/^SELECT pg_advisory_lock\(\d+\)$/);
    expect(db.log.at(-1)).toMatch(/^SELECT pg_advisory_unlock\(\d+\)$/);
  });

  it("reports recorded ids the code does not know instead of failing", async () => {
    const db = new FakePostgres();
    db.recorded.set("0009_from_a_newer_deploy", "abc");
    const result = await applyMigrations(db, { migrations: [first], lock: trackingLock() });
    expect(result.unknown).toEqual(["0009_from_a_newer_deploy"]);
  });

  it.each([
    ["unsorted", [second, first]],
    ["duplicated", [first, first]],
    ["badly named", [{ id: "first", statements: ["-- x"] }]],
    ["empty", [{ id: "0001_empty", statements: [] }]],
  ] as const)("rejects a %s migration list with MIGRATION_LIST_INVALID before touching anything", async (_, list) => {
    const db = new FakePostgres();
    await expect(applyMigrations(db, { migrations: list, lock: trackingLock() })).rejects.toMatchObject({
      code: "MIGRATION_LIST_INVALID",
    });
    expect(db.statements()).toEqual([]);
  });

  it("ships a valid list whose domain migration creates no secondary performance index", () => {
    const ids = postgresMigrations.map((m) => m.id);
    expect(ids).toEqual([...ids].sort());
    const indexes = postgresMigrations.flatMap((m) => m.statements).filter((sql) => /CREATE (UNIQUE )?INDEX/i.test(sql));
    expect(indexes).toEqual(["CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))"]);
  });
});

/** ClickHouse fake: one statement per call, schema_migrations rows kept from INSERT ... VALUES. */
class FakeClickHouse implements ClickHouseExecutor {
  readonly commands: string[] = [];
  readonly recorded: { id: string; checksum: string }[] = [];

  constructor(private readonly failOn?: RegExp) {}

  async command(sql: string): Promise<void> {
    this.commands.push(sql);
    if (this.failOn?.test(sql)) throw new Error("Code: 62. DB::Exception: Syntax error");
    const insert = /^INSERT INTO \w+\.schema_migrations .* VALUES \('([^']+)', '([^']+)', \d+\)$/.exec(sql);
    if (insert) this.recorded.push({ id: insert[1]!, checksum: insert[2]! });
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    this.commands.push(sql);
    return [...new Map(this.recorded.map((r) => [r.id, r])).values()];
  }
}

describe("clickhouse migration runner", () => {
  it("creates the database and bookkeeping table, substitutes the database name and records after success", async () => {
    const ch = new FakeClickHouse();
    const result = await applyClickHouseMigrations(ch, { database: "netra_ci" });

    expect(result.applied.map((m) => m.id)).toEqual(clickHouseMigrations.map((m) => m.id));
    expect(ch.commands[0]).toBe("CREATE DATABASE IF NOT EXISTS netra_ci");
    expect(ch.commands.some((sql) => sql.includes("CREATE TABLE IF NOT EXISTS netra_ci.request_events"))).toBe(true);
    expect(ch.commands.some((sql) => sql.includes("{database}"))).toBe(false);
    expect(ch.commands.at(-1)).toMatch(/^INSERT INTO netra_ci\.schema_migrations/);
  });

  it("is a no-op the second time", async () => {
    const ch = new FakeClickHouse();
    await applyClickHouseMigrations(ch);
    const before = ch.commands.length;

    const result = await applyClickHouseMigrations(ch);

    expect(result.applied).toEqual([]);
    expect(result.skipped).toEqual(clickHouseMigrations.map((m) => m.id));
    expect(ch.commands.slice(before).some((sql) => sql.includes("request_events"))).toBe(false);
  });

  it("leaves a failed migration unrecorded so the next run retries it", async () => {
    const ch = new FakeClickHouse(/request_events/);
    await expect(applyClickHouseMigrations(ch)).rejects.toMatchObject({ code: "MIGRATION_FAILED", statementIndex: 1 });
    expect(ch.recorded).toEqual([]);
  });

  it("refuses an edited applied migration with MIGRATION_CHECKSUM_MISMATCH", async () => {
    const ch = new FakeClickHouse();
    const original: Migration = { id: "0001_t", statements: ["CREATE TABLE IF NOT EXISTS {database}.t (x UInt8) ENGINE = Memory"] };
    await applyClickHouseMigrations(ch, { migrations: [original] });
    const edited: Migration = { ...original, statements: ["CREATE TABLE IF NOT EXISTS {database}.t (x UInt16) ENGINE = Memory"] };
    await expect(applyClickHouseMigrations(ch, { migrations: [edited] })).rejects.toMatchObject({
      code: "MIGRATION_CHECKSUM_MISMATCH",
    });
  });

  it("rejects a database name that is not a plain identifier", async () => {
    const ch = new FakeClickHouse();
    await expect(applyClickHouseMigrations(ch, { database: "netra; DROP DATABASE x" })).rejects.toMatchObject({
      code: "MIGRATION_CONFIG_INVALID",
    });
    expect(ch.commands).toEqual([]);
  });
});
