import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CursorError, decodeCursor, encodeCursor } from "../../shared/api/cursor.ts";
import { unstorableJsonPath, unstorableTextReason } from "../../shared/api/text.ts";

const DIGITS = /^\d+$/;

describe("pagination cursors", () => {
  it("round-trips keys for the same filters, whatever the key text", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 3 }), fc.dictionary(fc.string(), fc.string()), (key, filters) => {
        const cursor = encodeCursor(key, filters);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        if (cursor.length <= 512) expect(decodeCursor(cursor, filters, key.map(() => /^[\s\S]*$/))).toEqual(key);
      }),
    );
  });

  it("refuses a cursor issued for other filters", () => {
    const cursor = encodeCursor(["42"], { planTier: "pro", role: undefined });
    expect(decodeCursor(cursor, { role: undefined, planTier: "pro" }, [DIGITS])).toEqual(["42"]);
    expect(() => decodeCursor(cursor, { planTier: "free" }, [DIGITS])).toThrow(CursorError);
  });

  it("refuses forged, truncated and oversized cursors with a 400 naming the cursor", () => {
    const good = encodeCursor(["42"], {});
    const forged = btoa(JSON.stringify({ v: 1, k: ["1 OR 1=1"], f: JSON.parse(atob(good)).f })).replace(/=+$/, "");
    for (const bad of [forged, good.slice(0, -3), "x".repeat(600), "***", btoa("null"), btoa("[]")]) {
      try {
        decodeCursor(bad, {}, [DIGITS]);
        expect.unreachable(bad);
      } catch (error) {
        expect(error).toBeInstanceOf(CursorError);
        expect((error as CursorError).init).toMatchObject({ status: 400, code: "invalid_cursor", errors: [{ in: "query", path: "cursor" }] });
      }
    }
  });
});

describe("storable text", () => {
  it("accepts any well-formed unicode without NUL", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        expect(unstorableTextReason(s.replaceAll("\u0000", ""))).toBeUndefined();
      }),
    );
  });

  it("finds NUL and lone surrogates anywhere in a JSON value, keys included", () => {
    expect(unstorableTextReason("a\u0000")).toMatch(/NUL/);
    expect(unstorableTextReason("\ud800x")).toMatch(/surrogate/);
    expect(unstorableTextReason("\ud83d\ude00")).toBeUndefined();
    expect(unstorableJsonPath({ a: [1, { b: "\udc00" }] })).toEqual({ path: ["a", 1, "b"], reason: expect.stringMatching(/surrogate/) });
    expect(unstorableJsonPath({ "k\u0000": 1 })).toMatchObject({ path: ["k\u0000"], reason: expect.stringMatching(/^key/) });
  });
});
