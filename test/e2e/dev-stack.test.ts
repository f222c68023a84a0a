import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import WebSocket from "ws";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { LOCAL_ROOM_TOKEN_SECRET } from "../../scripts/services/stack.ts";
import { signRoomToken } from "../../shared/rooms/token.ts";
import { host } from "./rooms-helpers.ts";

// The one `wrangler dev` the test orchestrator runs (API, cron and rooms), as `npm run dev` runs it.
const wrangler = { url: `http://${host}` };
const urls = localUrls();
let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.DATABASE_URL ?? urls.DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
});

describe("wrangler dev against the local stack", () => {
  it("reports every dependency ok on /health", async () => {
    const res = await fetch(`${wrangler.url}/health`);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; latencyMs: number }> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(["clickhouse", "postgres", "redis", "rooms"]);
    for (const check of Object.values(body.checks)) {
      expect(check.status).toBe("ok");
      expect(check.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("dispatches a declared cron to its job and records the run", async () => {
    const before = await db.query<{ n: string }>("SELECT count(*) AS n FROM cron_runs WHERE job = 'alerts'");
    const res = await fetch(`${wrangler.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    expect(res.status).toBe(200);
    let after = before.rows[0]!.n;
    for (let i = 0; i < 40 && after === before.rows[0]!.n; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = (await db.query<{ n: string }>("SELECT count(*) AS n FROM cron_runs WHERE job = 'alerts'")).rows[0]!.n;
    }
    expect(Number(after)).toBe(Number(before.rows[0]!.n) + 1);
  });
});

describe("rooms in the same wrangler dev", () => {
  it("accepts a WebSocket connection with a room token and greets it", async () => {
    const token = await signRoomToken(process.env.ROOM_TOKEN_SECRET ?? LOCAL_ROOM_TOKEN_SECRET, { party: "main", room: "e2e-room", ttlSeconds: 60 });
    const ws = new WebSocket(`ws://${host}/parties/main/e2e-room?token=${encodeURIComponent(token)}`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.once("message", (data) => resolve(String(data)));
      ws.once("error", reject);
    });
    ws.close();
    const frame = JSON.parse(first) as { m: { type: string }[] };
    expect(frame.m[0]?.type).toBe("hello");
  });
});
