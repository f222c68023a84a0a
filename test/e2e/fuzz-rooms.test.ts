/**
 * The room's WebSocket and HTTP surfaces under arbitrary input, against the
 * `wrangler dev` that `npm test` runs (rooms are its Durable Objects): a client sending garbage gets error frames
 * (or a close with a code), other connections keep being served, the room's HTTP
 * answers stay well-formed, and a bad token is a 4xx, never a crash.
 */
import fc from "fast-check";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { parseClientMessage, RoomInputError } from "../../shared/rooms/protocol.ts";
import { edgeText, jsonish, nestedJson, percentEncode } from "../unit/fuzz-arbitraries.ts";
import { host, httpBase, roomRequest, secret, tokenFor, uniqueRoom, WireClient, type Message } from "./rooms-helpers.ts";

/** The rooms' default inbound limit (WS_MAX_MESSAGE_BYTES); the test reads the room's own before fuzzing. */
let MAX_MESSAGE = 16 * 1024;

const open: WireClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function client(room: string): Promise<WireClient> {
  const c = await WireClient.open(room);
  open.push(c);
  return c;
}

const errorsOf = (c: WireClient) => c.messages.filter((m) => m.type === "error");
const fromSender = (c: WireClient, sender: WireClient) => c.messages.filter((m) => m.type === "message" && m.from === sender.id);

/** Whatever a client may put in one WebSocket message. */
const frame: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.string({ maxLength: 200 }),
  edgeText,
  jsonish.map((v) => JSON.stringify(v) ?? "null"),
  fc.record({ type: fc.oneof(fc.constantFrom("message", "hello", "event", "error", "MESSAGE", ""), jsonish), data: jsonish, priority: fc.oneof(fc.integer({ min: -1, max: 11 }), jsonish), to: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), jsonish) }, { requiredKeys: [] }).map((m) => JSON.stringify(m)),
  fc.constantFrom(
    `{"type":"message","data":${nestedJson(7000)}}`,
    `{"type":${nestedJson(7000)}}`,
    `{"type":"message","data":"${"x".repeat(MAX_MESSAGE)}"}`,
    `{"type":"message"}`,
    `{"type":"message","data":1,"to":[]}`,
    "",
    "null",
    "[]",
  ),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

/** What the room must answer `raw` with: an error code, or delivery to the others. */
function expected(raw: string | Buffer): { error: string } | { delivered: boolean } {
  try {
    const message = parseClientMessage(typeof raw === "string" ? raw : new Uint8Array(raw), MAX_MESSAGE);
    return { delivered: message.type === "message" && message.to === undefined };
  } catch (error) {
    if (error instanceof RoomInputError) return { error: error.code };
    throw error;
  }
}

/** The HTTP answer to a WebSocket upgrade (status 101 when it was accepted). */
function upgradeAnswer(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => {
      ws.close();
      resolve({ status: 101, text: "" });
    });
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += String(chunk)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    ws.once("error", (error) => reject(error));
  });
}

async function publish(room: string, data: unknown): Promise<void> {
  const res = await roomRequest(room, { method: "POST", body: { event: { name: "fuzz.check", data, priority: 9 } } });
  expect(res.status).toBe(202);
}

describe("rooms under arbitrary WebSocket frames", () => {
  it("answers every bad frame with an error frame, delivers good ones, and keeps serving the others", async () => {
    const room = uniqueRoom("fuzz");
    MAX_MESSAGE = ((await roomRequest(room, { method: "GET" })).body.settings as { maxMessageBytes: number }).maxMessageBytes;
    let sender = await client(room);
    const observer = await client(room);
    let probe = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (raw) => {
        if (sender.closed) sender = await client(room);
        const errorsBefore = errorsOf(sender).length;
        const want = expected(raw);
        sender.ws.send(raw);
        // A probe after the frame: once the observer has it, the frame was handled.
        const n = ++probe;
        sender.send({ probe: n });
        await observer.until(() => sender.closed !== undefined || observer.messages.some((m) => m.type === "message" && (m.data as { probe?: number } | null)?.probe === n));
        if (sender.closed) {
          expect(sender.closed.code).toBeGreaterThanOrEqual(1000);
          return;
        }
        if ("error" in want) {
          await sender.until(() => errorsOf(sender).length > errorsBefore);
          expect(errorsOf(sender).at(-1)).toMatchObject({ type: "error", code: want.error, message: expect.any(String) });
        } else {
          expect(errorsOf(sender).length).toBe(errorsBefore);
        }
      }),
      { numRuns: 60 },
    );
    expect(sender.closed).toBeUndefined();
    expect(observer.closed).toBeUndefined();
    await publish(room, { after: "fuzz" });
    await observer.until(() => observer.messages.some((m) => m.type === "event" && (m.data as { after?: string } | null)?.after === "fuzz"));
    const fresh = await client(room);
    expect(fresh.messages[0]).toMatchObject({ type: "hello" });
    const status = await roomRequest(room, { method: "GET" });
    expect(status.status).toBe(200);
    expect(status.body.connections).toBe(3);
  });

  it("keeps serving others after a client sends a frame larger than the runtime accepts or invalid UTF-8", async () => {
    const room = uniqueRoom("fuzz-big");
    const observer = await client(room);
    for (const send of [
      (ws: WebSocket) => ws.send("y".repeat(2 * 1024 * 1024)),
      (ws: WebSocket) => ws.send(Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0x7d]), { binary: false }),
      (ws: WebSocket) => ws.send(Buffer.alloc(1024 * 1024, 1)),
    ]) {
      const bad = await client(room);
      const errors = errorsOf(bad).length;
      send(bad.ws);
      await bad.until(() => bad.closed !== undefined || errorsOf(bad).length > errors);
      if (bad.closed) expect(bad.closed.code).toBeGreaterThanOrEqual(1000);
      else expect(errorsOf(bad).at(-1)?.code).toMatch(/^(too_large|binary_unsupported|bad_json)$/);
      const marker = Math.random();
      await publish(room, { marker });
      await observer.until(() => observer.messages.some((m: Message) => m.type === "event" && (m.data as { marker?: number }).marker === marker));
    }
    expect((await roomRequest(room, { method: "GET" })).status).toBe(200);
  });
});

describe("rooms under arbitrary HTTP and tokens", () => {
  it("answers any publish or settings body with a 2xx or a problem with a code, and the room still answers", async () => {
    const room = uniqueRoom("fuzz-http");
    const body = fc.oneof(
      fc.string({ maxLength: 100 }),
      jsonish.map((v) => JSON.stringify(v) ?? "null"),
      fc.record({ event: fc.oneof(jsonish, fc.record({ name: fc.oneof(edgeText, jsonish), data: jsonish, priority: jsonish }, { requiredKeys: [] })), to: jsonish }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.dictionary(fc.constantFrom("maxWaitMs", "maxBatchSize", "enabled", "adaptiveMin", "adaptiveMax", "priorityThreshold", "x"), jsonish).map((v) => JSON.stringify(v)),
      fc.constantFrom(`{"event":{"name":"n","data":${nestedJson(20_000)}}}`, nestedJson(20_000), "x".repeat(70_000)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("POST", "PATCH", "PUT", "DELETE"), body, async (method, text) => {
        const res = await fetch(`${httpBase}/${room}`, { method, headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: text });
        const answer = await res.text();
        expect(res.status, answer.slice(0, 200)).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get("content-type")).toBe("application/problem+json");
          expect(JSON.parse(answer)).toMatchObject({ status: res.status, code: expect.stringMatching(/^[a-z_]+$/) });
        }
      }),
      { numRuns: 60 },
    );
    expect((await roomRequest(room, { method: "GET" })).status).toBe(200);
  });

  it("refuses any malformed token or Authorization header with a 4xx problem", async () => {
    const room = uniqueRoom("fuzz-token");
    const good = await tokenFor(room);
    const [, payload] = good.split(".");
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/);
    const token = fc.oneof(
      edgeText,
      fc.string({ maxLength: 50 }),
      fc.tuple(segment, segment).map(([a, b]) => `rt1.${a}.${b}`),
      segment.map((s) => `rt1.${payload}.${s}`),
      fc.constantFrom("rt1.._", "rt1.A.A", `rt1.${payload}.A`, "rt1...", "x".repeat(8000)),
    );
    await fc.assert(
      fc.asyncProperty(token, edgeText, async (t, auth) => {
        const upgrade = await upgradeAnswer(`ws://${host}/parties/main/${room}?token=${percentEncode(t)}`);
        const text = upgrade.text;
        expect(upgrade.status, `${t.slice(0, 80)} -> ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
        expect(upgrade.status, `${t.slice(0, 80)} -> ${text.slice(0, 200)}`).toBeLessThan(500);
        expect(JSON.parse(text)).toMatchObject({ code: expect.stringMatching(/^token_/) });
        const header = auth.replace(/[^\x20-\x7e]/g, "?");
        const status = await fetch(`${httpBase}/${room}`, { headers: { authorization: header } });
        expect(status.status).toBe(401);
      }),
      { numRuns: 60 },
    );
  });
});
