/**
 * API key administration over the api_keys table: create, list, rotate, revoke,
 * and the throttled last-used stamp. The same code serves the admin endpoints (SQL
 * through the query optimizer) and `npm run keys` (SQL through `pg`): callers pass
 * a KeySql.
 *
 * Only the SHA-256 of a secret is ever written; a token exists in memory once, in
 * the value create/rotate return. Rotation keeps the key id (clients keep their
 * identity, logs stay joinable) and replaces the secret: the old token stops
 * verifying as soon as an isolate looks the key up again (see key-verifier.ts).
 *
 * @example
 * const admin = keyAdmin({ read: (s, p) => client.query(s, p), write: (s, p) => client.query(s, p) });
 * const { token } = await admin.create("billing", ["read"]);
 * await admin.revoke(keyIdOf(token));
 */
import { generateApiKey, isScope, type Scope } from "./api-keys.ts";

type Row = Record<string, unknown>;

/** The two ways a statement reaches Postgres: reads must not be cached, writes invalidate. */
export interface KeySql {
  read(sql: string, params: readonly unknown[]): Promise<{ rows: Row[] }>;
  write(sql: string, params: readonly unknown[]): Promise<{ rows: Row[] }>;
}

/** A key as listed: never its secret or hash. */
export interface KeyRecord {
  keyId: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** create/rotate: the record plus its token, shown once. */
export interface IssuedKey extends KeyRecord {
  token: string;
}

export type KeyAdminErrorCode = "key_not_found" | "key_revoked";

export class KeyAdminError extends Error {
  readonly code: KeyAdminErrorCode;
  readonly keyId: string;
  constructor(code: KeyAdminErrorCode, keyId: string) {
    super(code === "key_not_found" ? `no API key ${keyId}` : `API key ${keyId} is revoked`);
    this.name = "KeyAdminError";
    this.code = code;
    this.keyId = keyId;
  }
}

/** Key ids are 16 lower-case hex characters (api-keys.ts). */
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/** last_used_at is written at most this often per key, across isolates (the UPDATE's own guard). */
export const LAST_USED_INTERVAL_SECONDS = 60;

const COLUMNS = "key_id, name, scopes, created_at, last_used_at, revoked_at";

function timestamp(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return new Date(String(value)).toISOString();
}

function toRecord(row: Row): KeyRecord {
  const scopes = Array.isArray(row.scopes) ? row.scopes.filter(isScope) : [];
  return {
    keyId: String(row.key_id),
    name: String(row.name),
    scopes,
    createdAt: timestamp(row.created_at)!,
    lastUsedAt: timestamp(row.last_used_at),
    revokedAt: timestamp(row.revoked_at),
  };
}

export function keyAdmin(sql: KeySql) {
  async function find(keyId: string): Promise<KeyRecord | undefined> {
    if (!KEY_ID_PATTERN.test(keyId)) return undefined;
    const row = (await sql.read(`SELECT ${COLUMNS} FROM api_keys WHERE key_id = $1`, [keyId])).rows[0];
    return row === undefined ? undefined : toRecord(row);
  }

  return {
    find,

    async create(name: string, scopes: readonly Scope[]): Promise<IssuedKey> {
      const key = await generateApiKey();
      const unique = [...new Set(scopes)];
      const result = await sql.write(
        `INSERT INTO api_keys (key_id, name, secret_hash, scopes) VALUES ($1, $2, $3, $4::text[]) RETURNING ${COLUMNS}`,
        [key.keyId, name, key.secretHash, unique],
      );
      return { ...toRecord(result.rows[0]!), token: key.token };
    },

    /** Oldest first. Revoked keys are listed too unless `activeOnly`. */
    async list({ activeOnly = false }: { activeOnly?: boolean } = {}): Promise<KeyRecord[]> {
      const where = activeOnly ? "WHERE revoked_at IS NULL " : "";
      const result = await sql.read(`SELECT ${COLUMNS} FROM api_keys ${where}ORDER BY created_at, key_id`, []);
      return result.rows.map(toRecord);
    },

    /** A new secret for a live key; the old token is invalid from now on. */
    async rotate(keyId: string): Promise<IssuedKey> {
      if (!KEY_ID_PATTERN.test(keyId)) throw new KeyAdminError("key_not_found", keyId);
      const key = await generateApiKey();
      const result = await sql.write(
        `UPDATE api_keys SET secret_hash = $2 WHERE key_id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
        [keyId, key.secretHash],
      );
      const row = result.rows[0];
      if (row === undefined) {
        throw new KeyAdminError((await find(keyId)) === undefined ? "key_not_found" : "key_revoked", keyId);
      }
      return { ...toRecord(row), token: `nk_${keyId}_${key.secret}` };
    },

    /** Idempotent: revoking a revoked key returns it unchanged (with its first revocation time). */
    async revoke(keyId: string): Promise<KeyRecord> {
      if (!KEY_ID_PATTERN.test(keyId)) throw new KeyAdminError("key_not_found", keyId);
      const result = await sql.write(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE key_id = $1 RETURNING ${COLUMNS}`,
        [keyId],
      );
      const row = result.rows[0];
      if (row === undefined) throw new KeyAdminError("key_not_found", keyId);
      return toRecord(row);
    },

    /** Stamps last_used_at unless it was stamped in the last minute; true when a row changed. */
    async touch(keyId: string): Promise<boolean> {
      const result = await sql.write(
        `UPDATE api_keys SET last_used_at = now() WHERE key_id = $1 AND (last_used_at IS NULL OR last_used_at < now() - $2::int * interval '1 second') RETURNING key_id`,
        [keyId, LAST_USED_INTERVAL_SECONDS],
      );
      return result.rows.length > 0;
    },
  };
}

export type KeyAdmin = ReturnType<typeof keyAdmin>;
