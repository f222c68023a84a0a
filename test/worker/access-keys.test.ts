import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../shared/api/api-keys.ts";
import { apiEnv, call, createKey } from "./api-helpers.ts";

interface KeyRecord {
  keyId: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function keyIdOf(token: string): string {
  return token.split("_")[1]!;
}

async function listed(keyId: string, env = apiEnv()): Promise<KeyRecord | undefined> {
  const res = await call("/v1/admin/keys", { env });
  expect(res.status).toBe(200);
  return (res.json.items as unknown as KeyRecord[]).find((k) => k.keyId === keyId);
}

describe("API key administration", () => {
  it("lists keys with ids, names, scopes and dates, never a secret or a hash", async () => {
    const created = await call("/v1/admin/keys", { method: "POST", body: { name: "lister", scopes: ["read", "write"] } });
    const token = String(created.json.token);
    const secret = token.split("_").slice(2).join("_");
    const res = await call("/v1/admin/keys");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = JSON.stringify(res.json);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(await sha256Hex(secret));
    const record = (res.json.items as unknown as KeyRecord[]).find((k) => k.keyId === keyIdOf(token));
    expect(Object.keys(record!).sort()).toEqual(["createdAt", "keyId", "lastUsedAt", "name", "revokedAt", "scopes"]);
    expect(record).toMatchObject({ name: "lister", scopes: ["read", "write"], revokedAt: null });
  });

  it("revokes a key: rejected at once, idempotent, listed as revoked, left out of the active list", async () => {
    const token = await createKey(["read"]);
    const keyId = keyIdOf(token);
    expect((await call("/v1/ping", { key: token })).status).toBe(200);
    const revoked = await call(`/v1/admin/keys/${keyId}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revokedAt).toEqual(expect.any(String));
    const refused = await call("/v1/ping", { key: token });
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe("invalid_credentials");
    const again = await call(`/v1/admin/keys/${keyId}`, { method: "DELETE" });
    expect(again.json.revokedAt).toBe(revoked.json.revokedAt);
    const active = await call("/v1/admin/keys?active=true");
    expect((active.json.items as unknown as KeyRecord[]).some((k) => k.keyId === keyId)).toBe(false);
    expect((await listed(keyId))?.revokedAt).toBe(revoked.json.revokedAt);
  });

  it("rotates a key: same id and scopes, new token works, old token is rejected", async () => {
    const token = await createKey(["write"]);
    const keyId = keyIdOf(token);
    expect((await call("/v1/users/by-email?email=a@b.c", { key: token })).status).toBe(403);
    expect((await call("/v1/ping", { key: token })).status).toBe(403);
    const rotated = await call(`/v1/admin/keys/${keyId}/rotate`, { method: "POST" });
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({ keyId, scopes: ["write"], revokedAt: null });
    const fresh = String(rotated.json.token);
    expect(fresh).not.toBe(token);
    expect(keyIdOf(fresh)).toBe(keyId);
    expect((await call("/v1/users", { method: "POST", key: token, body: {} })).status).toBe(401);
    expect((await call("/v1/users", { method: "POST", key: fresh, body: {} })).status).toBe(400);
  });

  it("refuses to rotate a revoked key (409) and answers 404 and 400 for unknown and malformed ids", async () => {
    const keyId = keyIdOf(await createKey(["read"]));
    await call(`/v1/admin/keys/${keyId}`, { method: "DELETE" });
    const conflict = await call(`/v1/admin/keys/${keyId}/rotate`, { method: "POST" });
    expect(conflict.status).toBe(409);
    expect(conflict.json.code).toBe("conflict");
    expect((await call("/v1/admin/keys/ffffffffffffffff/rotate", { method: "POST" })).json.code).toBe("not_found");
    expect((await call("/v1/admin/keys/ffffffffffffffff", { method: "DELETE" })).status).toBe(404);
    expect((await call("/v1/admin/keys/NOT-A-KEY", { method: "DELETE" })).status).toBe(400);
  });

  it("bounds a revocation made elsewhere by API_KEY_CACHE_TTL_MS in an isolate that cached the key", async () => {
    // Distinct configs have distinct verifiers: each stands for another isolate.
    const uncached = apiEnv({ API_KEY_CACHE_TTL_MS: "0" });
    const longCache = apiEnv({ API_KEY_CACHE_TTL_MS: "600000" });
    const token = await createKey(["read"]);
    expect((await call("/v1/ping", { key: token, env: uncached })).status).toBe(200);
    expect((await call("/v1/ping", { key: token, env: longCache })).status).toBe(200);
    await call(`/v1/admin/keys/${keyIdOf(token)}`, { method: "DELETE" });
    expect((await call("/v1/ping", { key: token, env: uncached })).status).toBe(401);
    // Documented bound: the other isolate still trusts its cached lookup until the TTL passes.
    expect((await call("/v1/ping", { key: token, env: longCache })).status).toBe(200);
  });

  it("stamps last_used_at when a key is used, at most once a minute", async () => {
    const token = await createKey(["read"]);
    const keyId = keyIdOf(token);
    expect((await listed(keyId))?.lastUsedAt).toBeNull();
    expect((await call("/v1/ping", { key: token })).status).toBe(200);
    const first = (await listed(keyId))?.lastUsedAt;
    expect(first).toEqual(expect.any(String));
    expect((await call("/v1/ping", { key: token })).status).toBe(200);
    expect((await listed(keyId))?.lastUsedAt).toBe(first);
  });
});
