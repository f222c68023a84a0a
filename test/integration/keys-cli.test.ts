/**
 * `npm run keys` against a throwaway Postgres database: the commands, what they
 * store (only hashes), and that the Worker's verifier honours their effects.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseApiToken, sha256Hex } from "../../shared/api/api-keys.ts";
import { keyAdmin } from "../../shared/api/key-admin.ts";
import { createKeyVerifier } from "../../shared/api/key-verifier.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { runKeys } from "../../scripts/keys.ts";
import { migratePostgres } from "../../scripts/migrate.ts";
import { dropDatabase } from "../../scripts/lib/drop-database.ts";

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, "../..");

let databaseUrl: string;
let admin: pg.Client;
let db: pg.Client;
const name = `netra_test_keys_${Math.random().toString(36).slice(2, 10)}`;

async function keys(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeys(argv, databaseUrl, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, out, err };
}

function tokenIn(lines: string[]): string {
  const token = lines.join("\n").match(/nk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/)?.[0];
  if (token === undefined) throw new Error(`no token in ${lines.join("\n")}`);
  return token;
}

function verifier() {
  return createKeyVerifier({
    adminKey: undefined,
    cacheTtlMs: 0,
    lookup: async (keyId) => {
      const row = (await db.query("SELECT key_id, secret_hash, scopes, revoked_at IS NOT NULL AS revoked FROM api_keys WHERE key_id = $1", [keyId])).rows[0];
      return row && { keyId: row.key_id, secretHash: row.secret_hash, scopes: row.scopes, revoked: row.revoked };
    },
  });
}

beforeAll(async () => {
  const base = process.env.DATABASE_URL ?? localUrls().DATABASE_URL;
  admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  await migratePostgres(databaseUrl, { log: () => undefined });
  db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  if (admin) await dropDatabase(admin, name);
  await admin?.end();
});

describe("npm run keys", () => {
  it("creates a key end to end through npm, printing the token once and storing only its hash", async () => {
    const { stdout } = await run("npm", ["run", "--silent", "keys", "--", "create", "--scope", "read", "--scope", "write", "--name", "billing"], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    const token = tokenIn(stdout.split("\n"));
    expect(stdout.match(/nk_[0-9a-f]{16}_/g)).toHaveLength(1);
    const parsed = parseApiToken(token)!;
    const row = (await db.query("SELECT * FROM api_keys WHERE key_id = $1", [parsed.keyId])).rows[0];
    expect(row).toMatchObject({ name: "billing", scopes: ["read", "write"], secret_hash: await sha256Hex(parsed.secret), revoked_at: null });
    expect(JSON.stringify(row)).not.toContain(parsed.secret);
    expect(await verifier().verify(token)).toEqual({ keyId: parsed.keyId, scopes: ["read", "write"] });
  });

  it("lists keys as a table and as JSON without secrets or hashes", async () => {
    const created = await keys("create", "--scope", "ops", "--name", "dashboards");
    expect(created.code).toBe(0);
    const token = tokenIn(created.out);
    const { keyId, secret } = parseApiToken(token)!;
    const table = await keys("list");
    expect(table.code).toBe(0);
    expect(table.out[0]).toMatch(/^KEY ID\s+NAME\s+SCOPES\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(table.out.find((l) => l.startsWith(keyId))).toMatch(new RegExp(`^${keyId}\\s+dashboards\\s+ops\\s+\\S+\\s+-\\s+-$`));
    const json = await keys("list", "--json");
    const listed = JSON.parse(json.out.join("\n")) as Record<string, unknown>[];
    expect(listed.find((k) => k.keyId === keyId)).toEqual({ keyId, name: "dashboards", scopes: ["ops"], createdAt: expect.any(String), lastUsedAt: null, revokedAt: null });
    const all = [...table.out, ...json.out].join("\n");
    expect(all).not.toContain(secret);
    expect(all).not.toContain(await sha256Hex(secret));
  });

  it("rotates: same key id, new token verifies, the old one no longer does", async () => {
    const old = tokenIn((await keys("create", "--scope", "read")).out);
    const { keyId } = parseApiToken(old)!;
    const rotated = await keys("rotate", keyId);
    expect(rotated.code).toBe(0);
    const fresh = tokenIn(rotated.out);
    expect(parseApiToken(fresh)!.keyId).toBe(keyId);
    expect(fresh).not.toBe(old);
    const v = verifier();
    expect(await v.verify(old)).toBeUndefined();
    expect(await v.verify(fresh)).toEqual({ keyId, scopes: ["read"] });
  });

  it("revokes idempotently; a revoked key verifies no more and cannot be rotated", async () => {
    const token = tokenIn((await keys("create", "--scope", "admin")).out);
    const { keyId } = parseApiToken(token)!;
    const first = await keys("revoke", keyId);
    expect(first.code).toBe(0);
    expect(first.out[0]).toMatch(new RegExp(`^revoked key ${keyId} \\(cli\\) at \\d{4}-`));
    expect((await keys("revoke", keyId)).out).toEqual(first.out);
    expect(await verifier().verify(token)).toBeUndefined();
    const rotate = await keys("rotate", keyId);
    expect(rotate.code).toBe(1);
    expect(rotate.err.join("\n")).toContain("is revoked");
    expect((await keys("list", "--active")).out.some((l) => l.startsWith(keyId))).toBe(false);
  });

  it("stamps last_used_at at most once a minute", async () => {
    const { keyId } = parseApiToken(tokenIn((await keys("create", "--scope", "read")).out))!;
    const sql = { read: (s: string, p: readonly unknown[]) => db.query(s, [...p]), write: (s: string, p: readonly unknown[]) => db.query(s, [...p]) };
    const store = keyAdmin(sql);
    expect(await store.touch(keyId)).toBe(true);
    expect(await store.touch(keyId)).toBe(false);
    await db.query("UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE key_id = $1", [keyId]);
    expect(await store.touch(keyId)).toBe(true);
  });

  it("exits 2 on bad arguments and 1 on unknown keys or an unreachable database", async () => {
    for (const argv of [[], ["create"], ["create", "--scope", "root"], ["rotate"], ["revoke", "XYZ"], ["frobnicate"], ["list", "--bogus"]]) {
      const result = await keys(...argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.err.join("\n"), argv.join(" ")).toContain("usage:");
    }
    const unknown = await keys("revoke", "ffffffffffffffff");
    expect(unknown.code).toBe(1);
    expect(unknown.err[0]).toBe("no API key ffffffffffffffff");
    const down = await runKeys(["list"], "postgres://netra:x@127.0.0.1:8879/netra", { out: () => undefined, err: () => undefined });
    expect(down).toBe(1);
  });
});
