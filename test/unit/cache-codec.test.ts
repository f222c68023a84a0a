import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError, decode, deepFreeze, encode, utf8Length } from "../../shared/cache/codec.ts";
import { decodeEnvelope, encodeEnvelope } from "../../shared/cache/envelope.ts";

describe("cache codec", () => {
  it("round-trips a Postgres row as Neon returns it", () => {
    const row = {
      id: 42,
      big: 9_007_199_254_740_993n,
      negative: -12n,
      created_at: new Date("2026-11-29T06:00:00.123Z"),
      infinity_ts: new Date(Number.NaN),
      payload: { nested: [1, "two", null, { three: true }] },
      bytes: new Uint8Array([0, 1, 2, 253, 254, 255]),
      nothing: null,
      numeric: "12345.6789",
      unicode: "héllo 🌍",
    };
    const back = decode(encode([row])) as (typeof row)[];
    expect(back).toEqual([row]);
    expect(back[0]!.created_at).toBeInstanceOf(Date);
    expect(typeof back[0]!.big).toBe("bigint");
    expect(back[0]!.bytes).toBeInstanceOf(Uint8Array);
    expect(Number.isNaN(back[0]!.infinity_ts.getTime())).toBe(true);
  });

  it("keeps strings that look like tagged values as strings", () => {
    const tricky = ["\u0000d:2020-01-01T00:00:00.000Z", "\u0000n:5", "\u0000b:AAE=", "\u0000s:x", "\u0000", "\u0000zz"];
    expect(decode(encode(tricky))).toEqual(tricky);
  });

  it("turns Buffer (a Uint8Array) into a Uint8Array with the same bytes", () => {
    const back = decode(encode(Buffer.from("bytea"))) as Uint8Array;
    expect(back).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(back)).toBe("bytea");
  });

  it("round-trips large byte arrays", () => {
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 31) % 256);
    expect(decode(encode(bytes))).toEqual(bytes);
  });

  it("round-trips arbitrary JSON, bigints, dates and bytes (property)", () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.boolean(),
      fc.constant(null),
      fc.bigInt(),
      fc.date({ noInvalidDate: true }),
      fc.uint8Array({ maxLength: 16 }),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(fc.string(), tie("node"), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(decode(encode(v))).toEqual(v);
      }),
    );
  });

  it("rejects payloads it did not write", () => {
    expect(() => decode("{not json")).toThrow(CodecError);
    expect(() => decode('"\\u0000q:1"')).toThrow(CodecError);
    expect(() => decodeEnvelope(encode({ some: "object" }))).toThrow(CodecError);
    expect(() => decodeEnvelope(encode([1, ["t"], [], 0, 0, 0, null]))).toThrow(CodecError);
  });

  it("round-trips an envelope", () => {
    const envelope = { tags: ["public.users"], versions: [3], storedAt: 1, freshUntil: 2, staleUntil: 3, value: { at: new Date(5) } };
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it("measures UTF-8 length like TextEncoder", () => {
    for (const text of ["", "abc", "é", "€", "🌍", "a🌍é€\u0000"]) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    }
  });

  it("freezes objects and arrays deeply but leaves dates and bytes usable", () => {
    const value = deepFreeze({ rows: [{ id: 1, at: new Date(0), bytes: new Uint8Array([1]) }] });
    expect(Object.isFrozen(value.rows[0])).toBe(true);
    expect(() => {
      (value.rows[0] as { id: number }).id = 2;
    }).toThrow(TypeError);
    expect(value.rows[0]!.bytes[0]).toBe(1);
  });
});
