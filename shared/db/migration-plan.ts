/**
 * The engine-independent half of a migration run: validate the list, checksum each
 * migration, and decide which ones are pending given what the database recorded.
 */
import { MigrationChecksumError, MigrationError, type Migration } from "./migration-types.ts";

const ID_PATTERN = /^\d{4}_[a-z0-9_]+$/;

/** SHA-256 (hex) of a migration's statements; Web Crypto, so it runs in Workers and Node alike. */
export async function migrationChecksum(migration: Pick<Migration, "statements">): Promise<string> {
  // JSON keeps statement boundaries: ["a", "b"] and ["ab"] must not collide.
  const bytes = new TextEncoder().encode(JSON.stringify(migration.statements));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Rejects lists a run could apply in a surprising order: bad ids, duplicates, unsorted, empty. */
export function validateMigrationList(migrations: readonly Migration[]): void {
  let previous = "";
  for (const migration of migrations) {
    if (!ID_PATTERN.test(migration.id)) {
      throw new MigrationError("MIGRATION_LIST_INVALID", `migration id "${migration.id}" must match NNNN_snake_name`, migration.id);
    }
    if (migration.id <= previous) {
      throw new MigrationError(
        "MIGRATION_LIST_INVALID",
        `migration ${migration.id} is listed after ${previous}: ids must be unique and ascending`,
        migration.id,
      );
    }
    if (migration.statements.length === 0) {
      throw new MigrationError("MIGRATION_LIST_INVALID", `migration ${migration.id} has no statements`, migration.id);
    }
    previous = migration.id;
  }
}

export interface PendingMigration {
  migration: Migration;
  checksum: string;
}

export interface MigrationPlan {
  pending: PendingMigration[];
  skipped: string[];
  unknown: string[];
}

/**
 * Splits the list into pending and already-applied migrations.
 * @throws MigrationChecksumError when an applied migration's statements changed since.
 */
export async function planMigrations(
  migrations: readonly Migration[],
  recorded: ReadonlyMap<string, string>,
): Promise<MigrationPlan> {
  validateMigrationList(migrations);
  const plan: MigrationPlan = { pending: [], skipped: [], unknown: [] };
  const known = new Set<string>();
  for (const migration of migrations) {
    known.add(migration.id);
    const checksum = await migrationChecksum(migration);
    const recordedChecksum = recorded.get(migration.id);
    if (recordedChecksum === undefined) {
      plan.pending.push({ migration, checksum });
    } else if (recordedChecksum !== checksum) {
      throw new MigrationChecksumError(migration.id, recordedChecksum, checksum);
    } else {
      plan.skipped.push(migration.id);
    }
  }
  plan.unknown = [...recorded.keys()].filter((id) => !known.has(id)).sort();
  return plan;
}
