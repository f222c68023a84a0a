import { afterEach, describe, expect, it } from "vitest";
import WS from "ws";
import { decodeFrame } from "../../shared/batching/wire.ts";
import { connectRoom, type RoomClient, type RoomMessage, type SeqGap } from "../../shared/rooms/client.ts";
import { eventually, host, publish, roomRequest, tokenFor, uniqueRoom, WireClient } from "./rooms-helpers.ts";

const open: { close(): unknown }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function wire(room: string, options?: Parameters<typeof WireClient.open>[1]) {
  const client = await WireClient.open(room, options);
  open.push(client);
  return client;
}

const dataOf = (messages: { type: string; data?: unknown }[]) => messages.filter((m) => m.type === "message" || m.type === "event").map((m) => m.data);

describe("rooms: fan-out and batching on the wire", () => {
  it("fans a client's messages out to every other connection, in order, in fewer frames than messages", async () => {
    const room = uniqueRoom("fanout");
    const [a, b, c] = [await wire(room), await wire(room), await wire(room)];
    const count = 40;
    for (let i = 0; i < count; i++) a.send(i);
    for (const peer of [b, c]) {
      await peer.until(() => dataOf(peer.messages).length === count);
      expect(dataOf(peer.messages)).toEqual(Array.from({ length: count }, (_, i) => i));
      const frames = peer.frames.slice(1).map(decodeFrame);
      expect(frames.length).toBeLessThan(count);
      expect(frames.every((f, i) => i === 0 || f.seq === frames[i - 1]!.seq + frames[i - 1]!.messages.length)).toBe(true);
      expect(peer.gaps).toEqual([]);
    }
    expect(a.messages.filter((m) => m.type === "message")).toEqual([]);
  });

  it("delivers a priority message at once, with the queued messages before it, in one frame", async () => {
    const room = uniqueRoom("priority");
    // Only a priority message can release normal ones: no size trigger, a minute-long window.
    const patched = await roomRequest(room, { method: "PATCH", body: { adaptive: false, maxBatchSize: 10_000, maxWaitMs: 60_000 } });
    expect(patched.status).toBe(200);
    const [a, b] = [await wire(room), await wire(room)];
    a.send("n1");
    a.send("n2");
    a.send("n3");
    a.send("urgent", { priority: 3 });
    await b.until(() => dataOf(b.messages).includes("urgent"));
    const frame = decodeFrame(b.frames.at(-1)!);
    expect(frame.messages.map((m) => (m as { data: unknown }).data)).toEqual(["n1", "n2", "n3", "urgent"]);
  });

  it("sends one frame per message when the room turns batching off", async () => {
    const room = uniqueRoom("unbatched");
    expect((await roomRequest(room, { method: "PATCH", body: { enabled: false } })).status).toBe(200);
    const [a, b] = [await wire(room), await wire(room)];
    for (let i = 0; i < 10; i++) a.send(i);
    await b.until(() => dataOf(b.messages).length === 10);
    expect(b.frames).toHaveLength(11);
  });

  it("partysocket clients (with ws) get messages one at a time, in order, with consecutive seqs", async () => {
    const room = uniqueRoom("partysocket");
    const received: { message: RoomMessage; seq: number }[][] = [[], []];
    const gaps: SeqGap[] = [];
    const clients: RoomClient[] = [0, 1].map((i) =>
      connectRoom({
        host,
        room,
        token: () => tokenFor(room),
        WebSocket: WS,
        socket: { maxRetries: 0 },
        onMessage: (message, seq) => received[i]!.push({ message, seq }),
        onGap: (gap) => gaps.push(gap),
      }),
    );
    open.push(...clients);
    const reader = await wire(room);
    await eventually(() => received.every((r) => r.some((m) => m.message.type === "hello")));
    clients[0]!.send({ step: 1 });
    clients[0]!.send({ step: 2 }, { priority: 5 });
    // Another sender: room order between senders is arrival order, so send once step 2 is through.
    await eventually(() => received[1]!.filter((m) => m.message.type === "message").length === 2);
    reader.send({ step: 3 });
    await eventually(() => received[1]!.filter((m) => m.message.type === "message").length === 3);
    const seen = received[1]!;
    expect(seen.map((m) => m.seq)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.filter((m) => m.message.type === "message").map((m) => (m.message as { data: unknown }).data)).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }]);
    expect(gaps).toEqual([]);
  });

  it("a partysocket client that reconnects recovers the events it missed, in order and once, then carries on", async () => {
    const room = uniqueRoom("ps-resume");
    const seen: { message: RoomMessage; seq: number }[] = [];
    const gaps: SeqGap[] = [];
    let tokens = 0;
    const client = connectRoom({
      host,
      room,
      id: `ps-${Date.now()}`,
      token: () => (tokens++, tokenFor(room)),
      WebSocket: WS,
      onMessage: (message, seq) => seen.push({ message, seq }),
      onGap: (gap) => gaps.push(gap),
    });
    open.push(client);
    await eventually(() => seen.length === 1);
    client.socket.close();
    // The room learns of the close asynchronously: wait until it counts no connection.
    for (let i = 0; i < 200 && (await roomRequest(room, { method: "GET" })).body.connections !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await publish(room, { name: "away", data: 1 })).toEqual({ delivered: 0, missed: 1 });
    await publish(room, { name: "away", data: 2 });
    const lastSeq = client.lastSeq;
    client.socket.reconnect();
    await eventually(() => seen.some((m) => m.message.type === "recovered"));
    await publish(room, { name: "back" });
    await eventually(() => seen.some((m) => m.message.type === "event" && m.message.name === "back"));
    expect(gaps).toEqual([]);
    expect(tokens).toBe(2);
    const after = seen.filter((m) => m.seq > lastSeq);
    expect(after.map((m) => m.seq)).toEqual(after.map((_, i) => lastSeq + 1 + i));
    expect(after.map((m) => (m.message.type === "event" ? `${m.message.name}` : m.message.type))).toEqual(["hello", "away", "away", "recovered", "back"]);
    expect(after[0]!.message).toMatchObject({ type: "hello", resumed: true, recovery: "recovered" });
  });

  it("publishes server events over HTTP with the secret, to all or to named connections", async () => {
    const room = uniqueRoom("publish");
    const [a, b] = [await wire(room), await wire(room)];
    const all = await publish(room, { name: "agent.state", data: { status: "running" } });
    expect(all).toEqual({ delivered: 2, missed: 0 });
    const one = await publish(room, { name: "agent.done", data: { ok: true }, priority: 3 }, [b.id]);
    expect(one).toEqual({ delivered: 1, missed: 0 });
    await b.until(() => b.messages.some((m) => m.name === "agent.done"));
    await a.until(() => a.messages.some((m) => m.name === "agent.state"));
    expect(b.messages.filter((m) => m.type === "event").map((m) => m.name)).toEqual(["agent.state", "agent.done"]);
    expect(a.messages.some((m) => m.name === "agent.done")).toBe(false);
  });

  it("serves the room's metrics on GET with the secret", async () => {
    const room = uniqueRoom("metrics");
    const [a, b] = [await wire(room), await wire(room)];
    for (let i = 0; i < 20; i++) a.send(i);
    a.send("p", { priority: 4 });
    await b.until(() => dataOf(b.messages).length === 21);
    const { status, body } = await roomRequest(room, { method: "GET" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ room, connections: 2, messagesIn: 21, drops: 0 });
    expect(body.framesSent as number).toBeLessThan(body.messagesOut as number);
    // One priority frame, to b (hello frames are not priority deliveries).
    expect(body.priorityDeliveries).toBe(1);
    expect((body.queueWaitMs as { count: number }).count).toBe(20);
  });
});
