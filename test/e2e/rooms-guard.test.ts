import { afterEach, describe, expect, it } from "vitest";
import { FrameReader } from "../../shared/batching/wire-reader.ts";
import { signRoomToken } from "../../shared/rooms/token.ts";
import { host, publish, refusal, roomRequest, tokenFor, uniqueRoom, WireClient } from "./rooms-helpers.ts";

const open: WireClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function wire(room: string, options?: Parameters<typeof WireClient.open>[1]) {
  const client = await WireClient.open(room, options);
  open.push(client);
  return client;
}

const url = (room: string, query: string) => `ws://${host}/parties/main/${room}?_pk=guard-${Math.random().toString(36).slice(2)}${query}`;

describe("rooms: connection auth", () => {
  it("refuses a connection without a token", async () => {
    expect(await refusal(url(uniqueRoom("auth"), ""))).toEqual({ status: 401, code: "token_missing" });
  });

  it("refuses a token for another room", async () => {
    const token = await tokenFor("some-other-room");
    expect(await refusal(url(uniqueRoom("auth"), `&token=${token}`))).toEqual({ status: 403, code: "token_wrong_room" });
  });

  it("refuses an expired token", async () => {
    const room = uniqueRoom("auth");
    const token = await tokenFor(room, { ttlSeconds: 10, now: Date.now() - 60_000 });
    expect(await refusal(url(room, `&token=${token}`))).toEqual({ status: 401, code: "token_expired" });
  });

  it("refuses a token signed with another secret", async () => {
    const room = uniqueRoom("auth");
    const token = await signRoomToken("not-the-room-secret-at-all", { party: "main", room, ttlSeconds: 60 });
    expect(await refusal(url(room, `&token=${token}`))).toEqual({ status: 401, code: "token_bad_signature" });
  });

  it("refuses a token bound to another connection id", async () => {
    const room = uniqueRoom("auth");
    const token = await tokenFor(room, { connectionId: "someone-else" });
    expect(await refusal(url(room, `&token=${token}`))).toEqual({ status: 403, code: "token_wrong_connection" });
  });
});

describe("rooms: publish auth and validation", () => {
  it("refuses a publish without the secret or with a wrong one", async () => {
    const room = uniqueRoom("pub");
    expect((await roomRequest(room, { method: "POST", body: { event: { name: "x" } }, auth: null })).status).toBe(401);
    expect(await roomRequest(room, { method: "POST", body: { event: { name: "x" } }, auth: "wrong-secret-wrong-secret" })).toMatchObject({ status: 401, body: { code: "unauthorized" } });
    expect((await roomRequest(room, { method: "GET", auth: null })).body.code).toBe("unauthorized");
  });

  it.each([
    ["not json", "bad_json"],
    [{ event: "x" }, "bad_message"],
    [{ event: { name: "" } }, "bad_message"],
    [{ event: { name: "x" }, to: "everyone" }, "bad_message"],
    [{ event: { name: "x", priority: 99 } }, "bad_message"],
  ])("answers 400 for body %j", async (body, code) => {
    const res = await roomRequest(uniqueRoom("pub"), { method: "POST", body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
  });

  it("answers 413 for an oversized publish", async () => {
    const res = await roomRequest(uniqueRoom("pub"), { method: "POST", body: { event: { name: "x", data: "y".repeat(200_000) } } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe("too_large");
  });
});

describe("rooms: bad input from a client", () => {
  it.each([
    ["malformed JSON", "{nope", "bad_json"],
    ["an unknown type", JSON.stringify({ type: "shout", data: 1 }), "unknown_type"],
    ["an oversized message", JSON.stringify({ type: "message", data: "z".repeat(20_000) }), "too_large"],
  ])("answers %s with an error frame; the room and the others carry on", async (_label, raw, code) => {
    const room = uniqueRoom("bad");
    const [a, b] = [await wire(room), await wire(room)];
    a.ws.send(raw);
    a.send("after");
    await a.until(() => a.messages.some((m) => m.type === "error"));
    expect(a.messages.find((m) => m.type === "error")).toMatchObject({ code });
    await b.until(() => b.messages.some((m) => m.data === "after"));
    expect(a.closed).toBeUndefined();
  });

  it("refuses a flood with an error, then closes the flooder with 1008; the others stay connected", async () => {
    const room = uniqueRoom("flood");
    expect((await roomRequest(room, { method: "PATCH", body: { inboundRatePerSecond: 20, inboundBurst: 20 } })).status).toBe(200);
    const [a, b] = [await wire(room), await wire(room)];
    for (let i = 0; i < 200; i++) a.send(i);
    await a.until(() => a.closed !== undefined);
    // One error per episode of refusals (an accepted message as tokens refill ends one), not one per
    // refused message. How many episodes there are depends on how the 200 frames arrive (at once, or
    // spread by a slow proxy), so count against what b saw accepted: a new episode needs an accept.
    const fromA = () => b.messages.filter((m) => m.type === "message" && typeof m.data === "number").length;
    let seen = -1;
    while (seen !== fromA()) {
      seen = fromA();
      await new Promise((r) => setTimeout(r, 300));
    }
    const refused = 200 - seen;
    const errors = a.messages.filter((m) => m.type === "error").map((m) => m.code);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(seen + 1);
    expect(errors.length).toBeLessThan(refused);
    expect(new Set(errors)).toEqual(new Set(["rate_limited"]));
    expect(a.closed).toEqual({ code: 1008, reason: "rate limit exceeded" });
    await publish(room, { name: "still.here" });
    await b.until(() => b.messages.some((m) => m.name === "still.here"));
    expect(b.closed).toBeUndefined();
    const metrics = await roomRequest(room, { method: "GET" });
    expect(metrics.body).toMatchObject({ connections: 1, rejected: { abuse: 1 } });
  });
});

describe("rooms: reconnects", () => {
  it("a client that resumes with its id and key gets the messages queued at disconnect and those published while away, once, in order", async () => {
    const room = uniqueRoom("resume");
    expect((await roomRequest(room, { method: "PATCH", body: { maxWaitMs: 10_000, adaptive: false, maxBatchSize: 100 } })).status).toBe(200);
    const reader = new FrameReader();
    const first = await wire(room, { id: "resumer", reader });
    for (const n of [1, 2, 3]) await publish(room, { name: "queued", data: n }); // held by the 10 s wait
    const claim = first.claim;
    await first.close();
    expect(await publish(room, { name: "while.away", data: 4 })).toEqual({ delivered: 0, missed: 1 });
    await publish(room, { name: "while.away", data: 5 });
    const again = await wire(room, { id: "resumer", reader, query: { key: first.resumeKey, resume: claim } });
    await again.until(() => again.messages.some((m) => m.type === "recovered"));
    expect(again.messages[0]).toMatchObject({ type: "hello", resumed: true, recovery: "recovered" });
    expect(again.messages.slice(1).map((m) => m.data ?? m.type)).toEqual([1, 2, 3, 4, 5, "recovered"]);
    expect(again.gaps).toEqual([]);
  });

  it("a reconnect with the same id while the old socket is still open keeps working after the old one closes", async () => {
    const room = uniqueRoom("takeover");
    const old = await wire(room, { id: "phone" });
    const other = await wire(room);
    const fresh = await wire(room, { id: "phone", query: { key: old.resumeKey, resume: old.claim } });
    expect(await old.serverClose()).toEqual({ code: 4001 });
    other.send("after the switch");
    await fresh.until(() => fresh.messages.some((m) => m.data === "after the switch"));
    expect((await roomRequest(room, { method: "GET" })).body.connections).toBe(2);
  });

  it("another connection's id without its key is refused while it is open, and reset (never its messages) once it left", async () => {
    const room = uniqueRoom("thief");
    const victim = await wire(room, { id: "victim" });
    await publish(room, { name: "private" }, ["victim"]);
    await victim.until(() => victim.messages.some((m) => m.name === "private"));
    const refused = await wire(room, { id: "victim", query: { key: "guess", resume: "0.0" }, greeting: false });
    expect(await refused.serverClose()).toEqual({ code: 4409 });
    expect(refused.messages).toEqual([expect.objectContaining({ type: "error", code: "connection_id_in_use" })]);
    await victim.close();
    const thief = await wire(room, { id: "victim", query: { key: "guess", resume: "0.0" } });
    expect(thief.messages[0]).toMatchObject({ type: "hello", recovery: "reset" });
    await new Promise((r) => setTimeout(r, 200));
    expect(thief.messages.some((m) => m.name === "private")).toBe(false);
  });

  it("a malformed resume claim is a coded error, not a crash", async () => {
    const room = uniqueRoom("bad-resume");
    const c = await wire(room, { query: { resume: "lots" }, greeting: false });
    expect(await c.serverClose()).toEqual({ code: 4400 });
    expect(c.messages).toEqual([expect.objectContaining({ type: "error", code: "bad_resume" })]);
  });

  it("sheds a reader that stopped reading (acknowledgements stop): drops counted, its queue bounded", async () => {
    const room = uniqueRoom("slow");
    expect((await roomRequest(room, { method: "PATCH", body: { queueLimit: 50, maxBatchBytes: 1_048_576, highWaterBytes: 1_048_576 } })).status).toBe(200);
    const slow = await wire(room, { query: { ack: "1" } });
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = "x".repeat(200_000);
    for (let i = 0; i < 300; i++) await publish(room, { name: "big", data: big });
    const metrics = (await roomRequest(room, { method: "GET" })).body;
    expect(metrics.drops as number).toBeGreaterThanOrEqual(200);
    expect(metrics.messagesOut as number).toBeLessThan(100);
    slow.ws.terminate(); // it reads nothing, so it would never see a close handshake through
  });
});
