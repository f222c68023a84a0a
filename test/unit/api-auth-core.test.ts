import { describe, expect, it } from "vitest";
import { generateApiKey, parseApiToken, scopeGrants, sha256Hex, timingSafeEqualHex } from "../../shared/api/api-keys.ts";
import { BOOTSTRAP_KEY_ID, createKeyVerifier, type StoredKey } from "../../shared/api/key-verifier.ts";

describe("API key tokens", () => {
  it("generates tokens that parse back to their key id and secret, and hashes that match", async () => {
    const key = await generateApiKey();
    expect(key.token).toMatch(/^nk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiToken(key.token)).toEqual({ keyId: key.keyId, secret: key.secret });
    expect(timingSafeEqualHex(await sha256Hex(key.secret), key.secretHash)).toBe(true);
    expect(key.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects malformed tokens", () => {
    for (const token of ["", "nk_", "nk_abc_def", `nk_${"g".repeat(16)}_${"a".repeat(43)}`, `nk_${"a".repeat(16)}_${"a".repeat(42)}`, `xx_${"a".repeat(16)}_${"a".repeat(43)}`]) {
      expect(parseApiToken(token), token).toBeUndefined();
    }
  });

  it("compares digests exactly", () => {
    expect(timingSafeEqualHex("ab", "ab")).toBe(true);
    expect(timingSafeEqualHex("ab", "ac")).toBe(false);
    expect(timingSafeEqualHex("ab", "abc")).toBe(false);
  });

  it("lets admin imply every scope and other scopes only themselves", () => {
    expect(scopeGrants(["admin"], "ops")).toBe(true);
    expect(scopeGrants(["read", "write"], "write")).toBe(true);
    expect(scopeGrants(["read"], "write")).toBe(false);
    expect(scopeGrants(["ops"], "read")).toBe(false);
  });
});

describe("key verifier", () => {
  async function fixture() {
    const key = await generateApiKey();
    const stored: StoredKey = { keyId: key.keyId, secretHash: key.secretHash, scopes: ["read", "bogus"], revoked: false };
    let lookups = 0;
    let clock = 1_000;
    const verifier = createKeyVerifier({
      adminKey: "the-admin-key",
      lookup: async (id) => {
        lookups++;
        return id === stored.keyId ? stored : undefined;
      },
      cacheTtlMs: 30_000,
      now: () => clock,
    });
    return { key, stored, verifier, lookups: () => lookups, advance: (ms: number) => (clock += ms) };
  }

  it("accepts the bootstrap admin key with the admin scope and nothing close to it", async () => {
    const { verifier } = await fixture();
    expect(await verifier.verify("the-admin-key")).toEqual({ keyId: BOOTSTRAP_KEY_ID, scopes: ["admin"] });
    expect(await verifier.verify("the-admin-key ")).toBeUndefined();
    expect(await verifier.verify("the-admin-kez")).toBeUndefined();
  });

  it("keeps a successful lookup for the cache TTL, then looks it up again", async () => {
    const { key, verifier, lookups, advance } = await fixture();
    expect(await verifier.verify(key.token)).toEqual({ keyId: key.keyId, scopes: ["read"] });
    expect(await verifier.verify(key.token)).toBeDefined();
    expect(lookups()).toBe(1);
    advance(30_001);
    expect(await verifier.verify(key.token)).toBeDefined();
    expect(lookups()).toBe(2);
  });

  it("checks the secret on every request, cached or not, and never caches a failed lookup", async () => {
    const { key, verifier, lookups } = await fixture();
    await verifier.verify(key.token);
    const wrong = `nk_${key.keyId}_${"A".repeat(43)}`;
    expect(await verifier.verify(wrong)).toBeUndefined();
    const unknown = `nk_${"0".repeat(16)}_${key.secret}`;
    expect(await verifier.verify(unknown)).toBeUndefined();
    expect(await verifier.verify(unknown)).toBeUndefined();
    // 1 (first verify) + 1 (a mismatch re-reads a cached key: it may have been rotated) + 2 (unknown, never cached).
    expect(lookups()).toBe(4);
  });

  it("refuses a revoked key", async () => {
    const { key, stored, verifier } = await fixture();
    stored.revoked = true;
    expect(await verifier.verify(key.token)).toBeUndefined();
  });
});
