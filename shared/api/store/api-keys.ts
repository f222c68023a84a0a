/** API keys in Postgres: lookup by key id (for the verifier) and creation (admin). */
import type { QueryOptimizer, ReadContext } from "../../db/query-types.ts";
import { generateApiKey, type Scope } from "../api-keys.ts";
import type { StoredKey } from "../key-verifier.ts";
import { iso, text } from "./rows.ts";

type Row = Record<string, unknown>;

export function apiKeyStore(db: QueryOptimizer) {
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
      const key = await generateApiKey();
      const result = await db.write<Row>(
        "INSERT INTO api_keys (key_id, name, secret_hash, scopes) VALUES ($1, $2, $3, $4::text[]) RETURNING created_at",
        [key.keyId, name, key.secretHash, [...new Set(scopes)]],
        {},
        ctx,
      );
      return { keyId: key.keyId, name, scopes: [...new Set(scopes)], createdAt: iso(result.rows[0]!.created_at), token: key.token };
    },
  };
}

export type ApiKeyStore = ReturnType<typeof apiKeyStore>;
