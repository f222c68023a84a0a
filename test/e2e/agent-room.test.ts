/**
 * The API and its side channels, end to end, through `wrangler dev` (port 8895)
 * against the default stack and the PartyKit dev server `npm test` runs:
 * - agent progress live: a partysocket client (shared/rooms/client.ts) holding a
 *   token from POST /v1/rooms/:room/token receives `agent.state` when the session's
 *   state is created and updated over PUT /v1/agent-states/:sessionId;
 * - cache counters: the isolate's cache stats land in ClickHouse cache_events.
 * Throwaway Postgres and ClickHouse databases keep it apart from other tests.
 */
import { randomUUID } from "node:crypto";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WS from "ws";
import { localConfig, localUrls } from "../../scripts/lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../../scripts/lib/dev-servers.ts";
import { migrateClickHouse, migratePostgres } from "../../scripts/migrate.ts";
import { connectRoom, type RoomClient, type RoomMessage } from "../../shared/rooms/client.ts";
import { eventually } from "./rooms-helpers.ts";
import { dropDatabase } from "../../scripts/lib/drop-database.ts";

const ADMIN_KEY = `e2e-admin-${randomUUID()}`;
const suffix = randomUUID().replace(/-/g, "").slice(0, 10);
const pgName = `netra_test_agent_room_${suffix}`;
const chName = `netra_test_agent_room_${suffix}`;
const urls = localUrls();
const pgBase = process.env.DATABASE_URL ?? urls.DATABASE_URL;
const pgUrl = Object.assign(new URL(pgBase), { pathname: `/${pgName}` }).toString();
const chUrl = process.env.CLICKHOUSE_URL ?? urls.CLICKHOUSE_URL;
let admin: pg.Client;
let ch: ClickHouseClient;
let server: DevServer;
const clients: RoomClient[] = [];

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: pgBase });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pgName}`);
  await migratePostgres(pgUrl, { log: () => undefined });
  await migrateClickHouse({ url: chUrl, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD, database: chName }, { log: () => undefined });
  ch = createClient({ url: chUrl, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD });
  server = startWrangler({ ...localConfig(), wrangler: { port: 8895, inspectorPort: 9495 } }, {
    quiet: true,
    extraArgs: [
      "--var", `DATABASE_URL:${pgUrl}`,
      "--var", `API_ADMIN_KEY:${ADMIN_KEY}`,
      "--var", `CLICKHOUSE_DATABASE:${chName}`,
      "--var", "ANALYTICS_CACHE_SAMPLE_INTERVAL_MS:0",
      "--var", "BATCH_FLUSH_INTERVAL_MS:200",
    ],
  });
  await waitForHttp(`${server.url}/ping`, { server, ok: (s) => s === 200, timeoutMs: 90_000 });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await server?.stop();
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${chName}` }).catch(() => undefined);
  await ch?.close();
  if (admin) await dropDatabase(admin, pgName);
  await admin?.end();
});

describe("agent progress live", () => {
  it("a room client with an API-issued token receives agent.state on create and on update", async () => {
    const user = await api("/v1/users", { method: "POST", body: { email: `agent-${suffix}@example.test`, planTier: "free", role: "member" } });
    expect(user.status).toBe(201);
    // The longest session id the API accepts: its room name (`agent-` + 128) must still get a token.
    const sessionId = `sess-${suffix}-`.padEnd(128, "x");
    const room = `agent-${sessionId}`;

    const events: { data: unknown; seq: number }[] = [];
    let hello = false;
    const client = connectRoom({
      // The rooms are this Worker's own Durable Objects: the API publishes to them through the binding.
      host: new URL(server.url).host,
      room,
      WebSocket: WS,
      token: async () => {
        const issued = await api(`/v1/rooms/${room}/token`, { method: "POST", body: {} });
        expect(issued.status).toBe(200);
        return String(issued.json.token);
      },
      onMessage: (message: RoomMessage, seq) => {
        if (message.type === "hello") hello = true;
        if (message.type === "event" && message.name === "agent.state") events.push({ data: message.data, seq });
      },
    });
    clients.push(client);
    await eventually(() => hello, 20_000);

    const created = await api(`/v1/agent-states/${sessionId}`, { method: "PUT", body: { userId: user.json.id, state: "running", data: { step: 1 } } });
    expect(created.status).toBe(201);
    await eventually(() => events.length === 1, 20_000);
    expect(events[0]!.data).toEqual({ sessionId, state: "running", version: 1, updatedAt: created.json.updatedAt });

    const updated = await api(`/v1/agent-states/${sessionId}`, { method: "PUT", body: { userId: user.json.id, state: "done", version: 1 } });
    expect(updated.status).toBe(200);
    await eventually(() => events.length === 2, 20_000);
    expect(events[1]!.data).toEqual({ sessionId, state: "done", version: 2, updatedAt: updated.json.updatedAt });
    expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
  });

  it("a write to a session nobody watches still answers normally", async () => {
    const user = await api("/v1/users", { method: "POST", body: { email: `quiet-${suffix}@example.test`, planTier: "free", role: "member" } });
    const res = await api(`/v1/agent-states/quiet-${suffix}`, { method: "PUT", body: { userId: user.json.id, state: "idle" } });
    expect(res.status).toBe(201);
  });
});

describe("cache counters into cache_events", () => {
  it("the isolate's L1 and L2 counters arrive in ClickHouse", async () => {
    const user = await api("/v1/users", { method: "POST", body: { email: `cache-${suffix}@example.test`, planTier: "pro", role: "member" } });
    for (let i = 0; i < 5; i++) expect((await api(`/v1/users/${user.json.id}`)).status).toBe(200);
    const stats = (await api("/v1/ops/cache")).json as { l1: { hits: number } };
    expect(stats.l1.hits).toBeGreaterThanOrEqual(4);

    const totals = async () => {
      const result = await ch.query({ query: `SELECT tier, sum(hits) AS hits, sum(misses) AS misses FROM ${chName}.cache_events GROUP BY tier ORDER BY tier`, format: "JSONEachRow" });
      return (await result.json()) as { tier: string; hits: string; misses: string }[];
    };
    const deadline = Date.now() + 30_000;
    let rows = await totals();
    // Each request samples the counters and flushes the batch once it is due (200 ms old).
    while (!rows.some((r) => r.tier === "l1" && Number(r.hits) >= stats.l1.hits) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      await api("/v1/ops/cache");
      rows = await totals();
    }
    const l1 = rows.find((r) => r.tier === "l1");
    expect(Number(l1?.hits)).toBeGreaterThanOrEqual(stats.l1.hits);
    expect(Number(l1?.misses)).toBeGreaterThanOrEqual(1);
    // The first read missed L1 and then L2 (Redis) before loading from Postgres.
    expect(Number(rows.find((r) => r.tier === "l2")?.misses)).toBeGreaterThanOrEqual(1);
  });
});
