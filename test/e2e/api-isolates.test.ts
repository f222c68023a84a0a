/**
 * Two isolates for real: two `wrangler dev` processes (ports 8823 and 8824) over
 * the same Redis and a throwaway Postgres database. Checks what only separate
 * isolates can show: invalidation reaching the other isolate within the tag-check
 * bound, and the cross-isolate stampede lock (pg_stat_statements counts the loads).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { localConfig, localUrls } from "../../scripts/lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../../scripts/lib/dev-servers.ts";
import { migratePostgres } from "../../scripts/migrate.ts";
import { loadConfig } from "../../shared/config.ts";
import { dropDatabase } from "../../scripts/lib/drop-database.ts";

const ADMIN_KEY = `e2e-admin-${Math.random().toString(36).slice(2)}`;
const dbName = `netra_test_api_e2e_${Math.random().toString(36).slice(2, 10)}`;
const base = process.env.DATABASE_URL ?? localUrls().DATABASE_URL;
const dbUrl = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
let admin: pg.Client;
let db: pg.Client;
let a: DevServer;
let b: DevServer;

function start(port: number, inspectorPort: number): DevServer {
  return startWrangler({ ...localConfig(), wrangler: { port, inspectorPort } }, {
    quiet: true,
    // What is under test is the lock, not the fail-open policy: with the default 300 ms Redis
    // timeout, one slow loopback reply during the 100-request burst on a busy 2-core machine
    // counts as "Redis down" and that isolate loads for itself (by design), so give Redis room.
    extraArgs: [
      "--var", `DATABASE_URL:${dbUrl}`, "--var", `API_ADMIN_KEY:${ADMIN_KEY}`,
      "--var", "CACHE_REDIS_TIMEOUT_MS:3000", "--var", "CACHE_LOCK_WAIT_MS:5000",
    ],
  });
}

async function api(server: DevServer, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return {
    status: res.status,
    tier: res.headers.get("x-cache"),
    token: res.headers.get("x-netra-consistency"),
    cookie: res.headers.get("set-cookie"),
    json: (await res.json()) as Record<string, unknown>,
  };
}

async function byIdCalls(): Promise<number> {
  const { rows } = await db.query<{ calls: string }>(
    `SELECT coalesce(sum(calls), 0)::text AS calls FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query ILIKE '%FROM users WHERE id = $1%'`,
  );
  return Number(rows[0]!.calls);
}

async function newUser(planTier = "free"): Promise<string> {
  const res = await api(a, "/v1/users", { method: "POST", body: { email: `iso-${Math.random().toString(36).slice(2)}@example.test`, planTier, role: "member" } });
  expect(res.status).toBe(201);
  return String(res.json.id);
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await migratePostgres(dbUrl, { log: () => undefined });
  db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  await db.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  a = start(8823, 9423);
  b = start(8824, 9424);
  await Promise.all([a, b].map((s) => waitForHttp(`${s.url}/ping`, { server: s, ok: (st) => st === 200, timeoutMs: 90_000 })));
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.end();
  if (admin) await dropDatabase(admin, dbName);
  await admin?.end();
});

describe("two isolates sharing Redis and Postgres", () => {
  it("serves B from L2 what A loaded, and A's write reaches B within the tag-check bound", async () => {
    const id = await newUser("free");
    expect((await api(a, `/v1/users/${id}`)).tier).toBe("miss");
    expect((await api(b, `/v1/users/${id}`)).tier).toBe("l2");
    const cached = await api(b, `/v1/users/${id}`);
    expect(cached).toMatchObject({ tier: "l1", json: { planTier: "free" } });

    expect((await api(a, `/v1/users/${id}`, { method: "PATCH", body: { planTier: "enterprise" } })).status).toBe(200);
    expect((await api(a, `/v1/users/${id}`)).json.planTier).toBe("enterprise");

    // The bound is the configured tag-check interval; allow it plus request time.
    const bound = loadConfig({ DATABASE_URL: dbUrl }).cache.tagCheckIntervalMs;
    const deadline = Date.now() + bound + 3_000;
    const seen: unknown[] = [];
    for (;;) {
      const read = await api(b, `/v1/users/${id}`);
      seen.push(read.json.planTier);
      if (read.json.planTier === "enterprise" || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen.at(-1)).toBe("enterprise");
  });

  it("loads a stampede of 100 concurrent misses once, in one isolate and across two", async () => {
    const one = await newUser();
    let before = await byIdCalls();
    const single = await Promise.all(Array.from({ length: 100 }, () => api(a, `/v1/users/${one}`)));
    expect(single.every((r) => r.status === 200 && r.json.id === one)).toBe(true);
    expect((await byIdCalls()) - before).toBe(1);

    const two = await newUser();
    before = await byIdCalls();
    const split = await Promise.all(Array.from({ length: 100 }, (_, i) => api(i % 2 ? a : b, `/v1/users/${two}`)));
    expect(split.every((r) => r.status === 200 && r.json.id === two)).toBe(true);
    expect((await byIdCalls()) - before).toBe(1);
  });

  it("serves a client its own write on the other isolate at once when it sends the write's token (header or cookie)", async () => {
    const id = await newUser("free");
    for (const server of [a, b]) await api(server, `/v1/users/${id}`);
    for (let i = 0; i < 20; i++) {
      const [writer, reader] = i % 2 ? [a, b] : [b, a];
      await api(reader, `/v1/users/${id}`); // the reader holds the current value, just checked
      const wrote = await api(writer, `/v1/users/${id}`, { method: "PATCH", body: { displayName: `ryw-${i}` } });
      expect(wrote.status).toBe(200);
      expect(wrote.token).toMatch(/public\.users%3Aid%3D\d+=\d+/);
      expect(wrote.cookie).toContain("netra_consistency=");
      const viaHeader = await api(reader, `/v1/users/${id}`, { headers: { "x-netra-consistency": wrote.token! } });
      expect(viaHeader.json.displayName).toBe(`ryw-${i}`);
      const cookie = wrote.cookie!.split(";")[0]!;
      expect((await api(reader, `/v1/users/${id}`, { headers: { cookie } })).json.displayName).toBe(`ryw-${i}`);
    }
  });

  it("answers a malformed token header with a 400 problem", async () => {
    const id = await newUser();
    const res = await api(a, `/v1/users/${id}`, { headers: { "x-netra-consistency": "not a token" } });
    expect(res).toMatchObject({ status: 400, json: { code: "invalid_consistency_token" } });
  });
});
