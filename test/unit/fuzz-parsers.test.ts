/**
 * Property tests over the pure parsers that see untrusted input: the room wire
 * format, pagination cursors, the cache codec, the SQL analyser, storable-text
 * checks, room tokens and the room protocol. Each either answers or fails with its
 * own typed error; nothing else may escape.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CursorError, decodeCursor, encodeCursor } from "../../shared/api/cursor.ts";
import { unstorableJsonPath } from "../../shared/api/text.ts";
import { CodecError, decode, encode } from "../../shared/cache/codec.ts";
import { decodeFrame, encodeFrame, WireFormatError } from "../../shared/batching/wire.ts";
import { FrameReader } from "../../shared/batching/wire-reader.ts";
import { analyzeStatement } from "../../shared/db/sql-analysis.ts";
import { parseClientMessage, parsePublishRequest, RoomInputError } from "../../shared/rooms/protocol.ts";
import { PublishError, publishToRoom } from "../../shared/rooms/publish.ts";
import { applySettingsPatch, roomDefaults } from "../../shared/rooms/room-settings.ts";
import { RoomTokenError, signRoomToken, verifyRoomToken } from "../../shared/rooms/token.ts";
import { edgeText, jsonish, nested, nestedJson } from "./fuzz-arbitraries.ts";

const RUNS = { numRuns: 200 };

/** Runs `fn`; an error must be an instance of `type` (the parser's own), anything else fails the property. */
function onlyThrows(type: abstract new (...args: never[]) => Error, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof type)) throw new Error(`escaped ${String(error)}`, { cause: error });
  }
}

async function onlyRejects(type: abstract new (...args: never[]) => Error, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof type)) throw new Error(`escaped ${String(error)}`, { cause: error });
  }
}

describe("wire format under arbitrary input", () => {
  it("decode(encode(batch)) is the batch, for any JSON messages, seq and drop count", () => {
    fc.assert(
      fc.property(
        fc.array(jsonish, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.nat(),
        (messages, seq, dropped) => {
          const frame = decodeFrame(encodeFrame(seq, messages.map((m) => JSON.stringify(m)), dropped));
          expect(frame).toEqual({ version: 1, seq, dropped, messages: JSON.parse(JSON.stringify(messages)) });
        },
      ),
      RUNS,
    );
  });

  it("decodeFrame fails only with WireFormatError (a code) on arbitrary text and JSON", () => {
    const frameLike = fc.record(
      { v: fc.oneof(fc.constant(1), jsonish), s: fc.oneof(fc.integer(), fc.double(), jsonish), d: fc.oneof(fc.integer(), jsonish), m: jsonish },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), edgeText, jsonish.map((v) => JSON.stringify(v) ?? ""), frameLike.map((v) => JSON.stringify(v))), (text) => {
        onlyThrows(WireFormatError, () => decodeFrame(text));
        try {
          decodeFrame(text);
        } catch (error) {
          expect(["wire_malformed", "wire_version"]).toContain((error as WireFormatError).code);
        }
      }),
      RUNS,
    );
  });

  it("the frame reader keeps consistent sequence numbers over any run of frames, good or bad", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 5 }), fc.boolean())), (frames) => {
        const reader = new FrameReader();
        for (const [seq, count, garbage] of frames) {
          const before = reader.lastSeq;
          if (garbage) {
            onlyThrows(WireFormatError, () => reader.read(`{"v":1,"s":${seq},"m":`));
            expect(reader.lastSeq).toBe(before);
            continue;
          }
          const out = reader.read(encodeFrame(seq, Array.from({ length: count }, (_, i) => String(i))));
          expect(out.messages.map((m) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => seq + i));
          expect(reader.lastSeq).toBe(seq + count - 1);
        }
      }),
      RUNS,
    );
  });

  it("names a bad version without converting it to a string", () => {
    expect(() => decodeFrame('{"v":{"toString":null},"s":1,"m":[1]}')).toThrow(expect.objectContaining({ code: "wire_version" }));
    expect(() => decodeFrame(`{"v":${nestedJson(7000)}}`)).toThrow(expect.objectContaining({ code: "wire_version" }));
  });

  it("decodes a deeply nested message without overflowing", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(decodeFrame(encodeFrame(1, [deep])).messages).toHaveLength(1);
  });
});

describe("cursors under arbitrary input", () => {
  it("decodeCursor fails only with CursorError on arbitrary strings and forged documents", () => {
    const forged = jsonish.map((doc) => btoa(unescape(encodeURIComponent(JSON.stringify(doc) ?? ""))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), edgeText, forged, fc.stringMatching(/^[A-Za-z0-9_-]{1,600}$/)), fc.dictionary(fc.string(), fc.string()), (cursor, filters) => {
        onlyThrows(CursorError, () => decodeCursor(cursor, filters, [/^[1-9][0-9]{0,18}$/]));
      }),
      RUNS,
    );
  });

  it("round-trips unicode-edge keys and filters", () => {
    fc.assert(
      fc.property(fc.array(edgeText, { minLength: 1, maxLength: 2 }), fc.dictionary(edgeText, fc.oneof(edgeText, fc.integer())), (key, filters) => {
        const cursor = encodeCursor(key, filters);
        if (cursor.length <= 512) expect(decodeCursor(cursor, filters, key.map(() => /^[\s\S]*$/))).toEqual(key);
      }),
      RUNS,
    );
  });
});

function positiveZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(positiveZero);
  if (typeof value === "object" && value !== null && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, positiveZero(v)]));
  }
  return value;
}

describe("cache codec under arbitrary input", () => {
  const cached = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      jsonish,
      edgeText,
      fc.bigInt(),
      fc.date({ noInvalidDate: false }),
      fc.uint8Array({ maxLength: 64 }),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(edgeText, tie("value"), { maxKeys: 4 }),
    ),
  })).value;

  it("decode(encode(x)) equals x for rows of JSON, edge text, bigints, dates and bytes", () => {
    fc.assert(
      fc.property(cached, (value) => {
        // JSON has no negative zero: -0 comes back as 0 (harmless for Postgres values).
        expect(decode(encode(value))).toEqual(positiveZero(value));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.dictionary(edgeText, fc.oneof(edgeText, fc.bigInt(), fc.date(), fc.uint8Array({ maxLength: 16 }), fc.constant(null))), (row) => {
        expect(decode(encode(row))).toEqual(row);
      }),
      RUNS,
    );
  });

  it("decode fails only with CodecError on arbitrary and tag-shaped text", () => {
    const tagged = fc.tuple(fc.constantFrom("d", "n", "b", "s", "x", ""), fc.oneof(fc.string(), edgeText)).map(([t, body]) => JSON.stringify([`\u0000${t}:${body}`]));
    fc.assert(
      fc.property(fc.oneof(fc.string(), edgeText, tagged), (text) => onlyThrows(CodecError, () => decode(text))),
      RUNS,
    );
  });
});

describe("SQL analysis under arbitrary input", () => {
  const sqlish = fc
    .array(
      fc.oneof(
        fc.constantFrom("SELECT", "FROM", "WHERE", "users", "(", ")", ",", ";", "'", '"', "--", "/*", "*/", "$1", "::jsonb", "DROP TABLE users", "WITH x AS", "UNION", "FOR UPDATE", "now()", "E'\\''"),
        edgeText,
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join(" "));

  it("never throws and always names a kind", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), edgeText, sqlish), (sql) => {
        const analysis = analyzeStatement(sql);
        expect(["read", "write", "other"]).toContain(analysis.kind);
        if (!analysis.cacheable) expect(analysis.reason).toBeDefined();
      }),
      RUNS,
    );
  });
});

describe("storable JSON checks under arbitrary input", () => {
  it("bound the nesting they walk instead of overflowing the stack", () => {
    const found = unstorableJsonPath({ a: nested(100_000) });
    expect(found?.reason).toMatch(/nest/);
    expect(unstorableJsonPath(JSON.parse(`{"a":${"[".repeat(30)}1${"]".repeat(30)}}`))).toBeUndefined();
  });

  it("never throw on arbitrary JSON values", () => {
    fc.assert(fc.property(jsonish, (value) => void unstorableJsonPath(value)), RUNS);
  });
});

describe("room protocol under arbitrary input", () => {
  it("parseClientMessage fails only with RoomInputError, and an accepted message re-serializes", () => {
    const shaped = fc.record(
      { type: fc.oneof(fc.constant("message"), fc.constant("ack"), jsonish), data: jsonish, seq: fc.oneof(fc.integer({ min: -2, max: 1e6 }), jsonish), priority: fc.oneof(fc.integer({ min: -2, max: 12 }), jsonish), to: jsonish },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), edgeText, shaped.map((m) => JSON.stringify(m)), fc.uint8Array().map((b) => b.buffer)), (raw) => {
        onlyThrows(RoomInputError, () => {
          const message = parseClientMessage(raw, 16 * 1024);
          if (message.type === "ack") expect(Number.isSafeInteger(message.seq) && message.seq >= 0).toBe(true);
          else expect(typeof JSON.stringify({ type: "message", data: message.data })).toBe("string");
        });
      }),
      RUNS,
    );
  });

  it("names an unknown type without stringifying it (deep nesting, odd strings)", () => {
    expect(() => parseClientMessage(`{"type":${nestedJson(7000)}}`, 16 * 1024)).toThrow(expect.objectContaining({ code: "unknown_type" }));
    expect(() => parseClientMessage(`{"type":"\ud800${"x".repeat(200)}"}`, 16 * 1024)).toThrow(expect.objectContaining({ code: "unknown_type" }));
  });

  it("refuses deeply nested data with bad_message instead of overflowing later", () => {
    const deep = `{"type":"message","data":${"[".repeat(6000)}${"]".repeat(6000)}}`;
    expect(() => parseClientMessage(deep, 16 * 1024)).toThrow(expect.objectContaining({ code: "bad_message" }));
    expect(() => parsePublishRequest(`{"event":{"name":"x","data":${"{\"a\":".repeat(6000)}1${"}".repeat(6000)}}}`)).toThrow(
      expect.objectContaining({ code: "bad_message" }),
    );
  });

  it("parsePublishRequest and applySettingsPatch fail only with RoomInputError", () => {
    const settings = roomDefaults({
      maxBatchSize: 10,
      maxWaitMs: 100,
      priorityThreshold: 3,
      adaptiveMinBatch: 2,
      adaptiveMaxBatch: 50,
      maxBatchBytes: 65536,
      queueLimit: 1000,
      maxMessageBytes: 1024,
      inboundRatePerSecond: 10,
      inboundBurst: 5,
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), jsonish.map((v) => JSON.stringify(v) ?? "null"), fc.record({ event: jsonish, to: jsonish }).map((v) => JSON.stringify(v))), (text) => {
        onlyThrows(RoomInputError, () => parsePublishRequest(text));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.dictionary(fc.constantFrom("maxWaitMs", "enabled", "adaptiveMin", "adaptiveMax", "queueLimit", "x"), jsonish)), (patch) => {
        onlyThrows(RoomInputError, () => applySettingsPatch(settings, patch));
      }),
      RUNS,
    );
  });
});

describe("room tokens under arbitrary input", () => {
  it("verifyRoomToken rejects only with RoomTokenError, whatever the token", async () => {
    const secret = "fuzz-secret-0123456789abcdef";
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/);
    const tokenLike = fc.oneof(
      fc.string(),
      edgeText,
      fc.tuple(segment, segment).map(([a, b]) => `rt1.${a}.${b}`),
      fc.tuple(jsonish, segment).map(([doc, sig]) => `rt1.${btoa(unescape(encodeURIComponent(JSON.stringify(doc) ?? ""))).replace(/=+$/, "")}.${sig}`),
    );
    await fc.assert(
      fc.asyncProperty(tokenLike, async (token) => {
        await onlyRejects(RoomTokenError, () => verifyRoomToken(secret, token, { party: "main", room: "r" }));
      }),
      RUNS,
    );
  });

  it("refuses a token whose parts are not decodable base64url as malformed", async () => {
    const good = await signRoomToken("s", { party: "main", room: "r", ttlSeconds: 60 });
    const [prefix, payload] = good.split(".");
    await expect(verifyRoomToken("s", `${prefix}.${payload}.A`, { party: "main", room: "r" })).rejects.toMatchObject({ code: "token_malformed" });
    await expect(verifyRoomToken("s", "rt1.A.AAAA", { party: "main", room: "r" })).rejects.toBeInstanceOf(RoomTokenError);
  });
});

describe("room publish under arbitrary answers", () => {
  it("resolves with the counts or rejects with PublishError, whatever the room answers", async () => {
    const answer = fc.tuple(
      fc.constantFrom(200, 202, 204, 400, 401, 413, 500, 502),
      fc.oneof(fc.string(), jsonish.map((v) => JSON.stringify(v) ?? ""), fc.record({ delivered: fc.oneof(fc.nat(), jsonish), missed: fc.oneof(fc.nat(), jsonish) }).map((v) => JSON.stringify(v))),
    );
    await fc.assert(
      fc.asyncProperty(answer, async ([status, body]) => {
        const target = { fetch: async () => new Response(status === 204 ? null : body, { status }) };
        try {
          const result = await publishToRoom({ target, secret: "s", room: "r", event: { name: "e" } });
          expect(result).toEqual({ delivered: expect.any(Number), missed: expect.any(Number) });
        } catch (error) {
          expect(error).toBeInstanceOf(PublishError);
        }
      }),
      RUNS,
    );
  });
});
