import { describe, expect, it } from "vitest";
import { ConsistencyTokenError, decodeToken, encodeToken, MAX_ENTRIES, mergeTokens } from "../../shared/cache/consistency-token.ts";

describe("consistency token", () => {
  it("round-trips tags with any characters and keeps versions exact", () => {
    const versions = new Map([
      ["public.users", 1_733_480_000_123_457],
      ["public.users|id=a&b;c, d", 7],
    ]);
    const text = encodeToken(versions);
    expect(text).not.toMatch(/[;, "]/);
    expect(decodeToken(text)).toEqual(versions);
  });

  it.each([
    ["", "empty"],
    ["public.users", "no version"],
    ["=5", "no tag"],
    ["t=-1", "negative"],
    ["t=1.5", "fraction"],
    ["t=99999999999999999", "beyond a safe integer"],
    ["t=01", "leading zero"],
    ["%E0%A4%A=1", "bad URI encoding"],
    [Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => `t${i}=1`).join("&"), "too many entries"],
    [`t=${"1".repeat(5000)}`, "too long"],
  ])("refuses %j (%s) with a typed error", (text) => {
    expect(() => decodeToken(text)).toThrow(ConsistencyTokenError);
  });

  it("merges this request's writes with the carried token, highest version per tag, bounded", () => {
    const carried = new Map(Array.from({ length: MAX_ENTRIES }, (_, i) => [`old${i}`, i] as [string, number]));
    carried.set("shared", 50);
    const merged = mergeTokens(new Map([["shared", 40], ["new", 9]]), carried);
    expect(merged.size).toBe(MAX_ENTRIES);
    expect(merged.get("shared")).toBe(50);
    expect(merged.get("new")).toBe(9);
    expect(merged.has("old0")).toBe(false); // the oldest carried entries give way
    expect(merged.get(`old${MAX_ENTRIES - 1}`)).toBe(MAX_ENTRIES - 1);
  });
});
