/**
 * L1 expiry where the known trap lives: separate requests to `wrangler dev`.
 * lru-cache's default `ttlResolution` caches its clock until a timer fires, and
 * workerd may run no timer after a request ends, so a 1 s entry was once served
 * seconds later. L1 sets `ttlResolution: 0` and the read path also checks each
 * entry's own fresh-until time, so this holds whichever way workerd schedules
 * timers. With user-data TTL 1 s and no stale window, a read 1.5 s after the first
 * must go back to the database (`x-cache: miss`), not come from L1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { localConfig, localUrls } from "../../scripts/lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../../scripts/lib/dev-servers.ts";

const ADMIN_KEY = `e2e-expiry-${Math.random().toString(36).slice(2)}`;
const email = `expiry-${Math.random().toString(36).slice(2)}@example.test`;
let server: DevServer;
let db: pg.Client;
let createdId: string | undefined;

beforeAll(async () => {
  server = startWrangler({ ...localConfig(), wrangler: { port: 8812, inspectorPort: 9412 } }, {
    quiet: true,
    extraArgs: ["--var", `API_ADMIN_KEY:${ADMIN_KEY}`, "--var", "CACHE_TTL_USER_DATA_SECONDS:1", "--var", "CACHE_SWR_SECONDS:0"],
  });
  await waitForHttp(`${server.url}/ping`, { server, ok: (s) => s === 200, timeoutMs: 90_000 });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL ?? localUrls().DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  // The shared database: leave nothing behind (`npm run dev` seeds demo data only into empty tables).
  if (createdId !== undefined) await db?.query("DELETE FROM audit_logs WHERE resource = $1", [`users/${createdId}`]);
  await db?.query("DELETE FROM users WHERE email = $1", [email]);
  await db?.end();
  await server?.stop();
});

async function get(path: string) {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  await res.arrayBuffer();
  return { status: res.status, tier: res.headers.get("x-cache") };
}

describe("L1 entries inside wrangler dev", () => {
  it("expire after their TTL across separate requests", async () => {
    const created = await fetch(`${server.url}/v1/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email, planTier: "free", role: "member" }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    createdId = id;

    expect(await get(`/v1/users/${id}`)).toEqual({ status: 200, tier: "miss" });
    expect(await get(`/v1/users/${id}`)).toEqual({ status: 200, tier: "l1" });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await get(`/v1/users/${id}`)).toEqual({ status: 200, tier: "miss" });
  });
});
