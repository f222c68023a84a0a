/**
 * Room metrics into the metrics pipeline, end to end through `wrangler dev`: traffic
 * in a room (real WebSocket clients, HTTP publishes), then the room's own counters
 * (its authenticated GET) must equal what reached ClickHouse, both the raw
 * room_events rows and the hourly room rollup. The room's alarm writes them through
 * the Worker's CLICKHOUSE_* variables (.dev.vars, scripts/services/stack.ts).
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { roomRequest, uniqueRoom, WireClient } from "./rooms-helpers.ts";

const urls = localUrls();
const database = process.env.CLICKHOUSE_DATABASE ?? urls.CLICKHOUSE_DATABASE;
const room = uniqueRoom("metrics");
let ch: ClickHouseClient;

interface Totals {
  connects: number;
  disconnects: number;
  frames: number;
  messages: number;
  dropped: number;
}

async function one<T>(query: string): Promise<T> {
  const result = await ch.query({ query, query_params: { room }, format: "JSONEachRow" });
  const rows = (await result.json()) as Record<string, string>[];
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)])) as T;
}

const raw = () =>
  one<Totals>(`SELECT countIf(kind = 'connect') AS connects, countIf(kind = 'disconnect') AS disconnects,
  sumIf(frames, kind = 'flush') AS frames, sumIf(batch_size, kind = 'flush') AS messages, sum(dropped) AS dropped
FROM ${database}.room_events WHERE party = 'main' AND room = {room:String}`);

const rollup = () =>
  one<Totals>(`SELECT sum(connects) AS connects, sum(disconnects) AS disconnects, sum(frames) AS frames,
  sum(batch_size_sum) AS messages, sum(dropped) AS dropped
FROM ${database}.room_rollup_hour WHERE party = 'main' AND room = {room:String}`);

beforeAll(() => {
  ch = createClient({ url: process.env.CLICKHOUSE_URL ?? urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD });
});

afterAll(async () => {
  for (const table of ["room_events", "room_rollup_hour"]) {
    await ch.command({ query: `DELETE FROM ${database}.${table} WHERE room = {room:String}`, query_params: { room } }).catch(() => undefined);
  }
  await ch.close();
});

describe("room metrics -> ClickHouse", () => {
  it("the rows in room_events and the hourly rollup match the room's own counters", async () => {
    const clients = [await WireClient.open(room), await WireClient.open(room), await WireClient.open(room)];
    const [a, b, c] = clients as [WireClient, WireClient, WireClient];
    for (let i = 0; i < 30; i++) a.send({ i });
    for (let i = 0; i < 10; i++) b.send({ j: i }, { priority: 5 });
    for (let k = 0; k < 5; k++) expect((await roomRequest(room, { method: "POST", body: { event: { name: "tick", data: { k } } } })).status).toBe(202);
    await c.until(() => c.messages.filter((m) => m.type === "message" || m.type === "event").length === 45);
    await a.until(() => a.messages.filter((m) => m.type === "message" || m.type === "event").length === 15);
    // b too: closing before b has its 35 would leave one in its queue, and the counters below one short.
    await b.until(() => b.messages.filter((m) => m.type === "message" || m.type === "event").length === 35);
    for (const client of clients) await client.close();

    // After the last disconnect the room stops changing; its counters are final.
    let counters: Record<string, unknown> = {};
    const deadline = Date.now() + 30_000;
    for (;;) {
      counters = (await roomRequest(room, { method: "GET" })).body;
      if (counters.connections === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(counters.connections).toBe(0);
    const expected: Totals = {
      connects: counters.connectionsTotal as number,
      disconnects: counters.connectionsTotal as number,
      frames: counters.framesSent as number,
      messages: counters.messagesOut as number,
      dropped: counters.drops as number,
    };
    expect(expected.connects).toBe(3);
    expect(expected.messages).toBeGreaterThanOrEqual(2 * 30 + 2 * 10 + 3 * 5);

    // The room's alarm sends what changed within ROOM_METRICS_INTERVAL_MS of the last disconnect: poll until it lands.
    let stored = await raw();
    while (JSON.stringify(stored) !== JSON.stringify(expected) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      stored = await raw();
    }
    expect(stored).toEqual(expected);
    expect(await rollup()).toEqual(expected);
  });
});
