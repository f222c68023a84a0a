import { afterEach, describe, expect, it } from "vitest";
import { FrameReader } from "../../shared/batching/wire-reader.ts";
import { publishToRoom, PublishError } from "../../shared/rooms/publish.ts";
import { signRoomToken } from "../../shared/rooms/token.ts";
import { host, refusal, roomRequest, secret, tokenFor, uniqueRoom, WireClient } from "./rooms-helpers.ts";

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
    await expect(publishToRoom({ host, secret: "wrong-secret-wrong-secret", room, event: { name: "x" } })).rejects.toBeInstanceOf(PublishError);
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
    expect(a.messages.filter((m) => m.type === "error").map((m) => m.code)).toEqual(["rate_limited"]);
    expect(a.closed).toEqual({ code: 1008, reason: "rate limit exceeded" });
    await publishToRoom({ host, secret, room, event: { name: "still.here" } });
    await b.until(() => b.messages.some((m) => m.name === "still.here"));
    expect(b.closed).toBeUndefined();
    const metrics = await roomRequest(room, { method: "GET" });
    expect(metrics.body).toMatchObject({ connections: 1, rejected: { abuse: 1 } });
  });
});

describe("rooms: reconnects", () => {
  it("a client that reconnects with its id sees the messages it missed as a seq gap", async () => {
    const room = uniqueRoom("resume");
    const reader = new FrameReader();
    const first = await wire(room, { id: "resumer", reader });
    const lastSeq = reader.lastSeq;
    await first.close();
    const missed = await publishToRoom({ host, secret, room, event: { name: "while.away" } });
    await publishToRoom({ host, secret, room, event: { name: "while.away" } });
    expect(missed).toEqual({ delivered: 0, missed: 1 });
    const again = await wire(room, { id: "resumer", reader, token: await tokenFor(room) });
    expect(again.messages[0]).toMatchObject({ type: "hello", resumed: true });
    expect(again.gaps).toEqual([{ kind: "missed", fromSeq: lastSeq + 1, toSeq: lastSeq + 2, count: 2 }]);
  });
});
