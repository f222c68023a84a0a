/**
 * Postgres migration runner. Runtime-agnostic: it takes a session-bound SQL executor
 * (a `pg` Client, a Neon Pool client, a test fake), never a driver.
 *
 * @example
 * const client = new pg.Client(url); await client.connect();
 * const result = await applyMigrations(client);
 * // result.applied -> [{ id: "0001_netra_domain", checksum, durationMs }]
 */
import { planMigrations } from "./migration-plan.ts";
import {
  MigrationFailedError,
  type AppliedMigration,
  type Migration,
  type MigrationRunResult,
} from "./migration-types.ts";
import { postgresMigrations } from "./migrations/index.ts";

/**
 * One database session. Every call must reach the same connection: the run's lock and
 * transactions are session state (so Neon's stateless HTTP `neon()` function does not qualify).
 */
export interface SessionExecutor {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Mutual exclusion between runners; held for the whole run. */
export interface MigrationLock {
  acquire(): Promise<void>;
  release(): Promise<void>;
}

export interface ApplyMigrationsOptions {
  /** Defaults to the project's Postgres migrations. */
  migrations?: readonly Migration[];
  /** Defaults to a session advisory lock on MIGRATION_LOCK_KEY through the executor. */
  lock?: MigrationLock;
  /** Called once per applied migration, e.g. to print progress. */
  onApplied?: (migration: AppliedMigration) => void;
  now?: () => number;
}

/** Fixed advisory-lock key shared by every runner of this schema ("netra-mg" as ASCII). */
export const MIGRATION_LOCK_KEY = 0x6e657472612d6d67n;

const BOOKKEEPING_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer NOT NULL
)`;

export function advisoryLock(executor: SessionExecutor, key: bigint = MIGRATION_LOCK_KEY): MigrationLock {
  return {
    acquire: async () => {
      await executor.query(`SELECT pg_advisory_lock(${key})`);
    },
    release: async () => {
      await executor.query(`SELECT pg_advisory_unlock(${key})`);
    },
  };
}

/**
 * Applies every pending migration in id order and records each in `schema_migrations`.
 * Re-running is a no-op; two concurrent runners serialise on the lock, so each migration runs once.
 * @throws MigrationChecksumError (code MIGRATION_CHECKSUM_MISMATCH) before applying anything
 *   when an applied migration was edited; MigrationFailedError (code MIGRATION_FAILED) when a statement fails.
 */
export async function applyMigrations(
  executor: SessionExecutor,
  options: ApplyMigrationsOptions = {},
): Promise<MigrationRunResult> {
  const lock = options.lock ?? advisoryLock(executor);
  await lock.acquire();
  let result: MigrationRunResult;
  try {
    result = await applyUnderLock(executor, options);
  } catch (error) {
    // A failed release must not hide why the run failed.
    await lock.release().catch(() => undefined);
    throw error;
  }
  await lock.release();
  return result;
}

async function applyUnderLock(executor: SessionExecutor, options: ApplyMigrationsOptions): Promise<MigrationRunResult> {
  const migrations = options.migrations ?? postgresMigrations;
  const now = options.now ?? (() => performance.now());
  // Created under the lock: CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin.
  await executor.query(BOOKKEEPING_TABLE);
  const { rows } = await executor.query("SELECT id, checksum FROM schema_migrations");
  const recorded = new Map(rows.map((row) => [String(row.id), String(row.checksum)]));
  const plan = await planMigrations(migrations, recorded);

  const applied: AppliedMigration[] = [];
  for (const { migration, checksum } of plan.pending) {
    const started = now();
    const record = async (): Promise<AppliedMigration> => {
      const durationMs = Math.round(now() - started);
      await executor.query("INSERT INTO schema_migrations (id, checksum, duration_ms) VALUES ($1, $2, $3)", [
        migration.id,
        checksum,
        durationMs,
      ]);
      return { id: migration.id, checksum, durationMs };
    };
    let done: AppliedMigration;
    if (migration.transactional === false) {
      await runStatements(executor, migration);
      done = await record();
    } else {
      await executor.query("BEGIN");
      try {
        await runStatements(executor, migration);
        done = await record();
        await executor.query("COMMIT");
      } catch (error) {
        await executor.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
    applied.push(done);
    options.onApplied?.(done);
  }
  return { applied, skipped: plan.skipped, unknown: plan.unknown };
}

async function runStatements(executor: SessionExecutor, migration: Migration): Promise<void> {
  for (const [index, statement] of migration.statements.entries()) {
    try {
      await executor.query(statement);
    } catch (error) {
      throw new MigrationFailedError(migration.id, index, error);
    }
  }
}
