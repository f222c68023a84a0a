import { describe, expect, it, vi } from "vitest";
import { generateApiKey } from "../../shared/api/api-keys.ts";
import { createUsageThrottle } from "../../shared/api/key-usage.ts";
import { createKeyVerifier, type StoredKey } from "../../shared/api/key-verifier.ts";

/** An in-memory api_keys table with a lookup counter. */
function table() {
  const rows = new Map<string, StoredKey>();
  let lookups = 0;
  return {
    rows,
    lookups: () => lookups,
    lookup: async (keyId: string) => {
      lookups++;
      const row = rows.get(keyId);
      return row === undefined ? undefined : { ...row };
    },
  };
}

describe("key verifier: rotation, revocation and its cache", () => {
  it("after a rotation, the new token works at once even where the old key is cached", async () => {
    const db = table();
    let now = 0;
    const verifier = createKeyVerifier({ adminKey: undefined, lookup: db.lookup, cacheTtlMs: 30_000, now: () => now });
    const old = await generateApiKey();
    db.rows.set(old.keyId, { keyId: old.keyId, secretHash: old.secretHash, scopes: ["read"], revoked: false });
    expect(await verifier.verify(old.token)).toEqual({ keyId: old.keyId, scopes: ["read"] });

    const fresh = await generateApiKey();
    db.rows.set(old.keyId, { keyId: old.keyId, secretHash: fresh.secretHash, scopes: ["read"], revoked: false });
    const rotatedToken = `nk_${old.keyId}_${fresh.secret}`;
    now = 1000;
    expect(await verifier.verify(rotatedToken)).toEqual({ keyId: old.keyId, scopes: ["read"] });
    // The mismatch refreshed the cache: the old token is now rejected in this isolate too.
    expect(await verifier.verify(old.token)).toBeUndefined();
  });

  it("an isolate that did not perform a revocation honours it within the cache TTL, and at once after forget", async () => {
    const db = table();
    let now = 0;
    const other = createKeyVerifier({ adminKey: undefined, lookup: db.lookup, cacheTtlMs: 5_000, now: () => now });
    const own = createKeyVerifier({ adminKey: undefined, lookup: db.lookup, cacheTtlMs: 5_000, now: () => now });
    const key = await generateApiKey();
    db.rows.set(key.keyId, { keyId: key.keyId, secretHash: key.secretHash, scopes: ["write"], revoked: false });
    expect(await other.verify(key.token)).toBeDefined();
    expect(await own.verify(key.token)).toBeDefined();

    db.rows.set(key.keyId, { ...db.rows.get(key.keyId)!, revoked: true });
    own.forget(key.keyId);
    expect(await own.verify(key.token)).toBeUndefined();
    now = 4_999;
    expect(await other.verify(key.token)).toBeDefined();
    now = 5_000;
    expect(await other.verify(key.token)).toBeUndefined();
  });

  it("checks a repeated token without hashing it again, and still refuses any other secret", async () => {
    const db = table();
    const verifier = createKeyVerifier({ adminKey: undefined, lookup: db.lookup, now: () => 0 });
    const key = await generateApiKey();
    db.rows.set(key.keyId, { keyId: key.keyId, secretHash: key.secretHash, scopes: ["read"], revoked: false });
    const digest = vi.spyOn(crypto.subtle, "digest");
    try {
      for (let i = 0; i < 5; i++) expect(await verifier.verify(key.token)).toEqual({ keyId: key.keyId, scopes: ["read"] });
      expect(digest).toHaveBeenCalledTimes(1);
      const last = key.token.at(-1) === "A" ? "B" : "A";
      expect(await verifier.verify(`${key.token.slice(0, -1)}${last}`)).toBeUndefined();
      expect(await verifier.verify(key.token)).toEqual({ keyId: key.keyId, scopes: ["read"] });
    } finally {
      digest.mockRestore();
    }
  });

  it("a wrong secret for a cached key costs one lookup and never succeeds", async () => {
    const db = table();
    const verifier = createKeyVerifier({ adminKey: undefined, lookup: db.lookup, now: () => 0 });
    const key = await generateApiKey();
    db.rows.set(key.keyId, { keyId: key.keyId, secretHash: key.secretHash, scopes: ["read"], revoked: false });
    await verifier.verify(key.token);
    const before = db.lookups();
    expect(await verifier.verify(`nk_${key.keyId}_${"x".repeat(43)}`)).toBeUndefined();
    expect(db.lookups() - before).toBe(1);
    expect(await verifier.verify(key.token)).toBeDefined();
  });
});

describe("usage throttle", () => {
  it("says a key is due at most once per interval", () => {
    let now = 0;
    const throttle = createUsageThrottle({ intervalMs: 60_000, now: () => now });
    expect(throttle.due("a")).toBe(true);
    expect(throttle.due("a")).toBe(false);
    expect(throttle.due("b")).toBe(true);
    now = 59_999;
    expect(throttle.due("a")).toBe(false);
    now = 60_000;
    expect(throttle.due("a")).toBe(true);
  });

  it("stays bounded, forgetting the oldest key first", () => {
    const throttle = createUsageThrottle({ maxKeys: 2, now: () => 0 });
    expect(throttle.due("a")).toBe(true);
    expect(throttle.due("b")).toBe(true);
    expect(throttle.due("c")).toBe(true);
    expect(throttle.due("a")).toBe(true);
    expect(throttle.due("c")).toBe(false);
  });
});
