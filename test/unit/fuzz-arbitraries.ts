/**
 * Arbitraries the fuzz tests share (unit, worker and e2e tiers): text built from the
 * pieces that break naive code (lone surrogates, NUL, bidi controls, emoji and ZWJ
 * sequences, combining marks, SQL- and JSON-looking text), and JSON values with them.
 */
import fc from "fast-check";

/** Pieces that Postgres, JSON, URLs and UTF-8 each treat specially. */
export const STORABLE_PIECES = [
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  "1; SELECT pg_sleep(10)",
  "$1",
  "%s %n %%",
  "\\",
  '\\"',
  "\\u0000",
  "\u202e\u2066RTL\u2069",
  "\u05e9\u05dc\u05d5\u05dd",
  "\u0627\u0644\u0633\u0644\u0627\u0645",
  "\ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67",
  "\ud83c\udff3\ufe0f\u200d\ud83c\udf08",
  "e\u0301\u0302\u0303",
  "Z\u0351\u0360\u0361\u0489",
  "\ufeff",
  "\u200b",
  "\u2028\u2029",
  "\ufffd",
  "\uffff",
  "\u{10ffff}",
  "\t\r\n",
  "\u0001\u001f\u007f",
  "<script>alert(1)</script>",
  "{\"a\":1}",
  "null",
  "../../etc/passwd",
  "?a=b&c=%00#frag",
  "ß\u0130\u0131",
];

/** Pieces that cannot be stored intact: the API must refuse them with a 400. */
export const UNSTORABLE_PIECES = ["\u0000", "\ud800", "\udfff", "a\ud83d", "\udc69b"];

/** Text Postgres stores byte for byte: edge pieces mixed with ordinary characters. */
export const storableText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...STORABLE_PIECES), fc.string({ unit: "grapheme", maxLength: 8 })), { maxLength: 6 })
  .map((parts) => parts.join("").replaceAll("\u0000", ""));

/** Any text, storable or not. */
export const edgeText: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...STORABLE_PIECES, ...UNSTORABLE_PIECES), fc.string({ unit: "binary", maxLength: 8 })), { maxLength: 6 })
  .map((parts) => parts.join(""));

/** JSON values whose strings and keys are edge text. */
export const jsonish: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3, stringUnit: fc.oneof(fc.constantFrom(...STORABLE_PIECES, ...UNSTORABLE_PIECES), fc.string({ maxLength: 1 })) });

/** JSON values that are storable (no NUL, no lone surrogates), as the API must accept and return them. */
export const storableJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3, stringUnit: fc.oneof(fc.constantFrom(...STORABLE_PIECES), fc.string({ unit: "grapheme", maxLength: 1 })) })
  // Through JSON once, as a client sends it (-0 becomes 0).
  .map((value) => JSON.parse(JSON.stringify(withoutNul(value))) as unknown);

/** At most `max` UTF-16 units without splitting a surrogate pair (a split would leave a lone half). */
export function clip(text: string, max: number): string {
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

/** The value with NUL removed from every string and key (Postgres refuses NUL in jsonb). */
function withoutNul(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("\u0000", "");
  if (Array.isArray(value)) return value.map(withoutNul);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll("\u0000", ""), withoutNul(v)]));
  }
  return value;
}

/**
 * Percent-encodes any string, lone surrogates included (as the 3 bytes a lenient
 * encoder would send, which are not valid UTF-8): encodeURIComponent throws on them.
 */
export function percentEncode(text: string): string {
  let out = "";
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    } else out += encodeURIComponent(ch);
  }
  return out;
}

/** A header value as printable ASCII (what HTTP carries without quirks): other characters percent-encoded. */
export function asciiHeader(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (ch) => percentEncode(ch));
}

/** An array nested `depth` levels, built without recursion. */
export function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** The same, as JSON text (no stringify: that would overflow). */
export function nestedJson(depth: number): string {
  return `${"[".repeat(depth)}1${"]".repeat(depth)}`;
}
