/**
 * A room survives its Durable Object being evicted: `wrangler dev` (its own, on port
 * 8896, with its own persisted state) is stopped while clients are connected and
 * started again on the same state. The partysocket clients reconnect by themselves and
 * resume: sequence numbers carry on, nothing published is lost or repeated (a client
 * that was away across the restart gets what it missed from the SQLite history), and
 * the room's settings are as they were.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WS from "ws";
import { localConfig } from "../../scripts/lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../../scripts/lib/dev-servers.ts";
import { connectRoom, type RoomClient, type RoomMessage, type SeqGap } from "../../shared/rooms/client.ts";
import { eventually, secret, tokenFor, uniqueRoom } from "./rooms-helpers.ts";

const PORTS = { port: 8896, inspectorPort: 9496 };
const persist = mkdtempSync(join(tmpdir(), "netra-rooms-restart-"));
const origin = `http://127.0.0.1:${PORTS.port}`;
let server: DevServer | undefined;

async function start(): Promise<void> {
  server = startWrangler({ ...localConfig(), wrangler: PORTS }, { quiet: true, extraArgs: ["--persist-to", persist] });
  await waitForHttp(`${origin}/parties/main/health`, { server, ok: (s) => s === 200, timeoutMs: 90_000 });
}

async function room(name: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${origin}/parties/main/${name}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

interface Seen {
  messages: { message: RoomMessage; seq: number }[];
  gaps: SeqGap[];
  client: RoomClient;
}

function joinRoom(name: string, id: string): Seen {
  const seen: Omit<Seen, "client"> = { messages: [], gaps: [] };
  const client = connectRoom({
    host: `127.0.0.1:${PORTS.port}`,
    room: name,
    id,
    token: () => tokenFor(name),
    WebSocket: WS,
    socket: { minReconnectionDelay: 100, maxReconnectionDelay: 500, reconnectionDelayGrowFactor: 1.2 },
    onMessage: (message, seq) => seen.messages.push({ message, seq }),
    onGap: (gap) => seen.gaps.push(gap),
  });
  return { ...seen, client };
}

const events = (s: Seen) => s.messages.filter((m) => m.message.type === "event").map((m) => (m.message as { data: unknown }).data);

beforeAll(start);

afterAll(async () => {
  await server?.stop();
  rmSync(persist, { recursive: true, force: true });
});

describe("rooms across an eviction (wrangler dev restarted on its persisted state)", () => {
  it("clients resume with their numbering, every message once and in order, settings kept", async () => {
    const name = uniqueRoom("restart");
    await room(name, "PATCH", { maxWaitMs: 7 });
    const stay = joinRoom(name, "stay");
    const away = joinRoom(name, "away");
    await eventually(() => [stay, away].every((s) => s.messages.some((m) => m.message.type === "hello")), 20_000);
    await room(name, "POST", { event: { name: "n", data: 1 } });
    await eventually(() => events(stay).length === 1 && events(away).length === 1);
    away.client.socket.close(); // away before the restart
    await room(name, "POST", { event: { name: "n", data: 2 } });
    await eventually(() => events(stay).length === 2);

    await server!.stop();
    await start();

    await eventually(() => stay.messages.filter((m) => m.message.type === "recovered").length === 1, 30_000);
    await room(name, "POST", { event: { name: "n", data: 3 } });
    away.client.socket.reconnect();
    await eventually(() => events(away).length === 3 && events(stay).length === 3, 30_000);
    await room(name, "POST", { event: { name: "n", data: 4 } });
    await eventually(() => events(away).length === 4 && events(stay).length === 4);

    for (const s of [stay, away]) {
      expect(events(s)).toEqual([1, 2, 3, 4]);
      expect(s.gaps).toEqual([]);
      expect(s.messages.map((m) => m.seq)).toEqual(s.messages.map((_, i) => i + 1));
      const hellos = s.messages.filter((m) => m.message.type === "hello").map((m) => (m.message as { recovery: string }).recovery);
      expect(hellos).toEqual(["new", "recovered"]);
    }
    expect(((await room(name, "GET")).settings as { maxWaitMs: number }).maxWaitMs).toBe(7);
    stay.client.close();
    away.client.close();
  });
});
