/**
 * ClickHouse migration runner. ClickHouse has neither transactions nor locks, so the
 * contract differs from Postgres: every statement is idempotent (IF NOT EXISTS) and a
 * migration is recorded only after all its statements succeeded. Two concurrent runners
 * may both execute a migration; both records collapse into one (ReplacingMergeTree, and
 * reads group by id).
 *
 * @example
 * const client = createClient({ url, username, password });
 * await applyClickHouseMigrations(clickHouseExecutor(client), { database: "netra" });
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { planMigrations } from "../db/migration-plan.ts";
import {
  MigrationError,
  MigrationFailedError,
  type AppliedMigration,
  type Migration,
  type MigrationRunResult,
} from "../db/migration-types.ts";
import { clickHouseMigrations } from "./migrations/index.ts";

/** One statement per call: the HTTP interface runs exactly one statement per request. */
export interface ClickHouseExecutor {
  command(sql: string): Promise<void>;
  query(sql: string): Promise<Record<string, unknown>[]>;
}

export interface ApplyClickHouseMigrationsOptions {
  /** Replaces `{database}` in every statement. Default "netra". */
  database?: string;
  migrations?: readonly Migration[];
  onApplied?: (migration: AppliedMigration) => void;
  now?: () => number;
}

export const DEFAULT_CLICKHOUSE_DATABASE = "netra";

const DATABASE_PLACEHOLDER = "{database}";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Adapts @clickhouse/client-web's client (or the Node one, same shape) to the executor. */
export function clickHouseExecutor(client: Pick<ClickHouseClient, "command" | "query">): ClickHouseExecutor {
  return {
    command: async (sql) => {
      await client.command({ query: sql });
    },
    query: async (sql) => {
      const result = await client.query({ query: sql, format: "JSONEachRow" });
      return result.json<Record<string, unknown>>();
    },
  };
}

/**
 * Applies every pending ClickHouse migration in id order and records it in
 * `{database}.schema_migrations`. Re-running is a no-op.
 * @throws MigrationChecksumError before applying anything when an applied migration was edited;
 *   MigrationFailedError when a statement fails (the migration stays unrecorded, so it re-runs).
 */
export async function applyClickHouseMigrations(
  executor: ClickHouseExecutor,
  options: ApplyClickHouseMigrationsOptions = {},
): Promise<MigrationRunResult> {
  const database = options.database ?? DEFAULT_CLICKHOUSE_DATABASE;
  if (!IDENTIFIER.test(database)) {
    throw new MigrationError("MIGRATION_CONFIG_INVALID", `ClickHouse database name "${database}" is not a plain identifier`);
  }
  const migrations = options.migrations ?? clickHouseMigrations;
  const now = options.now ?? (() => performance.now());

  await executor.command(`CREATE DATABASE IF NOT EXISTS ${database}`);
  await executor.command(`CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (
  id String,
  checksum String,
  applied_at DateTime64(3) DEFAULT now64(3),
  duration_ms UInt32
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY id`);
  const rows = await executor.query(
    `SELECT id, any(checksum) AS checksum FROM ${database}.schema_migrations GROUP BY id`,
  );
  const recorded = new Map(rows.map((row) => [String(row.id), String(row.checksum)]));
  const plan = await planMigrations(migrations, recorded);

  const applied: AppliedMigration[] = [];
  for (const { migration, checksum } of plan.pending) {
    const started = now();
    for (const [index, statement] of migration.statements.entries()) {
      try {
        await executor.command(statement.replaceAll(DATABASE_PLACEHOLDER, database));
      } catch (error) {
        throw new MigrationFailedError(migration.id, index, error);
      }
    }
    const durationMs = Math.round(now() - started);
    // Ids match ^\d{4}_[a-z0-9_]+$ and checksums are hex (validated in planMigrations): safe to inline.
    await executor.command(
      `INSERT INTO ${database}.schema_migrations (id, checksum, duration_ms) VALUES ('${migration.id}', '${checksum}', ${durationMs})`,
    );
    const done = { id: migration.id, checksum, durationMs };
    applied.push(done);
    options.onApplied?.(done);
  }
  return { applied, skipped: plan.skipped, unknown: plan.unknown };
}
