/** API keys in Postgres: lookup by key id (for the verifier) and administration (key-admin.ts) through the optimizer. */
import type { QueryOptimizer, ReadContext } from "../../db/query-types.ts";
import type { Scope } from "../api-keys.ts";
import { keyAdmin, type KeyAdmin, type KeySql } from "../key-admin.ts";
import type { StoredKey } from "../key-verifier.ts";
import { text } from "./rows.ts";

type Row = Record<string, unknown>;

export function apiKeyStore(db: QueryOptimizer) {
  const admin = (ctx?: ReadContext): KeyAdmin => keyAdmin(optimizerKeySql(db, ctx));
  return {
    /**
     * Not cached in the shared tiers (the verifier keeps its own short per-isolate
     * cache): key material never goes to Redis.
     */
    async lookup(keyId: string, ctx?: ReadContext): Promise<StoredKey | undefined> {
      const result = await db.read<Row>(
        "SELECT key_id, secret_hash, scopes, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE key_id = $1",
        [keyId],
        { cache: false },
        ctx,
      );
      const row = result.rows[0];
      if (row === undefined) return undefined;
      const scopes = Array.isArray(row.scopes) ? row.scopes.filter((s): s is string => typeof s === "string") : [];
      return { keyId: text(row.key_id), secretHash: text(row.secret_hash), scopes, revoked: row.revoked === true };
    },

    async create(name: string, scopes: readonly Scope[], ctx?: ReadContext) {
      const { keyId, createdAt, token } = await admin(ctx).create(name, scopes);
      return { keyId, name, scopes: [...new Set(scopes)], createdAt, token };
    },

    /** List, rotate, revoke, touch: key-admin.ts over this optimizer (reads uncached, writes invalidating). */
    admin,
  };
}

/** Key material and usage are never served from the shared cache tiers. */
export function optimizerKeySql(db: QueryOptimizer, ctx?: ReadContext): KeySql {
  return {
    read: (sql, params) => db.read<Row>(sql, params, { cache: false }, ctx),
    write: (sql, params) => db.write<Row>(sql, params, {}, ctx),
  };
}

export type ApiKeyStore = ReturnType<typeof apiKeyStore>;
