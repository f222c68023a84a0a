/**
 * The shapes shared by the Postgres and ClickHouse migration runners: what a
 * migration is, what a run reports, and the typed errors a run can end with.
 */

/** One schema change. Migrations are code, not files, so the core never touches a filesystem. */
export interface Migration {
  /** `NNNN_snake_name`; runs in ascending id order and is recorded under this id. */
  readonly id: string;
  /** Executed one per call, in order. Their checksum pins the migration once applied. */
  readonly statements: readonly string[];
  /**
   * Postgres only: run all statements and the bookkeeping row in one transaction (default).
   * `false` is for statements Postgres refuses inside a transaction (CREATE INDEX CONCURRENTLY);
   * such statements must then be idempotent, because a failure leaves earlier ones applied.
   */
  readonly transactional?: boolean;
}

export interface AppliedMigration {
  id: string;
  checksum: string;
  durationMs: number;
}

export interface MigrationRunResult {
  /** Migrations this run applied, in order. */
  applied: AppliedMigration[];
  /** Migrations that were already recorded, with a matching checksum. */
  skipped: string[];
  /** Ids recorded in the database that this code does not know (a newer deploy ran them). */
  unknown: string[];
}

export type MigrationErrorCode =
  | "MIGRATION_LIST_INVALID"
  | "MIGRATION_CONFIG_INVALID"
  | "MIGRATION_CHECKSUM_MISMATCH"
  | "MIGRATION_FAILED";

export class MigrationError extends Error {
  override readonly name: string = "MigrationError";
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly migrationId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An applied migration was edited after it ran: the database no longer matches the code. */
export class MigrationChecksumError extends MigrationError {
  override readonly name = "MigrationChecksumError";
  constructor(
    migrationId: string,
    readonly recordedChecksum: string,
    readonly currentChecksum: string,
  ) {
    super(
      "MIGRATION_CHECKSUM_MISMATCH",
      `migration ${migrationId} was changed after it was applied ` +
        `(recorded checksum ${recordedChecksum.slice(0, 12)}, code has ${currentChecksum.slice(0, 12)}); ` +
        "add a new migration instead of editing an applied one",
      migrationId,
    );
  }
}

/** A statement failed; for a transactional migration nothing of it was kept. */
export class MigrationFailedError extends MigrationError {
  override readonly name = "MigrationFailedError";
  constructor(
    migrationId: string,
    readonly statementIndex: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("MIGRATION_FAILED", `migration ${migrationId} failed at statement ${statementIndex + 1}: ${reason}`, migrationId, {
      cause,
    });
  }
}
