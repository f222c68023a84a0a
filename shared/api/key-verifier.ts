/**
 * Turns a bearer token into a principal. The bootstrap admin key (a Worker
 * secret) is compared by SHA-256 digest in constant time; `nk_` keys are looked
 * up by key id and their secret's hash compared in constant time.
 *
 * Successful lookups are kept per isolate for `cacheTtlMs` (default 30 s,
 * API_KEY_CACHE_TTL_MS) so a request does not cost a database round trip for
 * auth; the secret is still hashed and compared on every request. Consequences:
 * - revocation and rotation take effect at once in the isolate that performed
 *   them (the admin route calls `forget`), and within `cacheTtlMs` everywhere else:
 *   an old token keeps working in isolates that cached its key for at most that long;
 * - a secret that does not match the cached hash is checked once more against the
 *   database, so a freshly rotated token works at once in every isolate (a wrong
 *   secret costs what an unknown key id costs: one lookup, which the per-IP rate
 *   limit bounds).
 * Failed lookups are not cached, so a key created a moment ago works at once.
 *
 * @example
 * const verifier = createKeyVerifier({ adminKey: env.API_ADMIN_KEY, lookup: (id) => findKey(id) });
 * const principal = await verifier.verify(token); // undefined when invalid
 */
import { isScope, parseApiToken, sha256Hex, timingSafeEqualHex, type Scope } from "./api-keys.ts";

export interface StoredKey {
  keyId: string;
  secretHash: string;
  scopes: readonly string[];
  revoked: boolean;
}

export interface Principal {
  /** "bootstrap" for the admin key from the environment. */
  keyId: string;
  scopes: readonly Scope[];
}

export interface KeyVerifierOptions {
  adminKey: string | undefined;
  lookup: (keyId: string) => Promise<StoredKey | undefined>;
  cacheTtlMs?: number;
  maxCachedKeys?: number;
  now?: () => number;
}

export interface KeyVerifier {
  verify(token: string): Promise<Principal | undefined>;
  /** Drops a cached key (after revocation in this isolate). */
  forget(keyId: string): void;
}

export const BOOTSTRAP_KEY_ID = "bootstrap";
const DEFAULT_CACHE_TTL_MS = 30_000;
const DEFAULT_MAX_CACHED_KEYS = 1000;

interface CachedKey {
  secretHash: string;
  scopes: readonly Scope[];
  expiresAt: number;
  /**
   * The secret that last matched secretHash: the next request with the same token is checked
   * by a constant-time comparison instead of another SHA-256 (an async digest on every request
   * was the largest item of an L1 hit's profile after the router). Lives as long as the entry.
   */
  verifiedSecret?: string;
}

export function createKeyVerifier(options: KeyVerifierOptions): KeyVerifier {
  const ttlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const maxKeys = options.maxCachedKeys ?? DEFAULT_MAX_CACHED_KEYS;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedKey>();
  const adminKey = options.adminKey;
  const adminDigest = adminKey ? sha256Hex(adminKey) : undefined;

  async function storedKey(keyId: string): Promise<CachedKey | undefined> {
    const cached = cache.get(keyId);
    if (cached !== undefined && cached.expiresAt > now()) return cached;
    cache.delete(keyId);
    const stored = await options.lookup(keyId);
    if (stored === undefined || stored.revoked) return undefined;
    const entry: CachedKey = { secretHash: stored.secretHash, scopes: stored.scopes.filter(isScope), expiresAt: now() + ttlMs };
    // Insertion order makes the oldest entry the first one: enough for a bound, no LRU needed.
    if (cache.size >= maxKeys) cache.delete(cache.keys().next().value!);
    cache.set(keyId, entry);
    return entry;
  }

  return {
    async verify(token) {
      const parsed = parseApiToken(token);
      if (parsed === undefined) {
        if (adminDigest === undefined) return undefined;
        const digest = await sha256Hex(token);
        return timingSafeEqualHex(digest, await adminDigest) ? { keyId: BOOTSTRAP_KEY_ID, scopes: ["admin"] } : undefined;
      }
      const cached = cache.get(parsed.keyId);
      const wasCached = cached !== undefined && cached.expiresAt > now();
      let stored = await storedKey(parsed.keyId);
      if (stored === undefined) return undefined;
      // Secrets all have one length, so the comparison's early length check tells nothing.
      if (stored.verifiedSecret !== undefined && timingSafeEqualHex(parsed.secret, stored.verifiedSecret)) {
        return { keyId: parsed.keyId, scopes: stored.scopes };
      }
      const digest = await sha256Hex(parsed.secret);
      if (!timingSafeEqualHex(digest, stored.secretHash) && wasCached) {
        cache.delete(parsed.keyId);
        stored = await storedKey(parsed.keyId);
        if (stored === undefined) return undefined;
      }
      if (!timingSafeEqualHex(digest, stored.secretHash)) return undefined;
      stored.verifiedSecret = parsed.secret;
      return { keyId: parsed.keyId, scopes: stored.scopes };
    },
    forget(keyId) {
      cache.delete(keyId);
    },
  };
}
