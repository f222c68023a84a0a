/**
 * Opaque keyset-pagination cursors: base64url of a small JSON document holding the
 * last row's sort key and a fingerprint of the filters it was issued for, so a
 * cursor replayed with other filters is refused instead of silently skipping rows.
 *
 * @example
 * const cursor = encodeCursor(["42"], { planTier: "pro" });
 * decodeCursor(cursor, { planTier: "pro" }, [/^\d+$/]); // ["42"]
 * decodeCursor(cursor, { planTier: "free" }, [/^\d+$/]); // throws CursorError
 */

import { ProblemError } from "./problem.ts";

export type CursorKey = readonly string[];

/** Raised for a cursor that is malformed, tampered with, or issued for other filters: a 400 naming `cursor`. */
export class CursorError extends ProblemError {
  constructor(message: string) {
    super({ status: 400, code: "invalid_cursor", title: "Invalid cursor", detail: `query cursor ${message}`, errors: [{ in: "query", path: "cursor", message }] });
    this.name = "CursorError";
  }
}

const VERSION = 1;
/** Long enough for any keyset this API issues, short enough to reject garbage cheaply. */
export const MAX_CURSOR_LENGTH = 512;
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;

/** FNV-1a over the canonical filter JSON: the cursor needs equality, not secrecy. */
function filterFingerprint(filters: Readonly<Record<string, string | number | undefined>>): string {
  const canonical = JSON.stringify(Object.keys(filters).sort().map((k) => [k, filters[k] ?? null]));
  let hash = 0x811c9dc5;
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}

function toBase64url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(encoded: string): string {
  const binary = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

export function encodeCursor(key: CursorKey, filters: Readonly<Record<string, string | number | undefined>>): string {
  return toBase64url(JSON.stringify({ v: VERSION, k: key, f: filterFingerprint(filters) }));
}

/**
 * The sort key inside `cursor`: one part per pattern, each matching it (the parts
 * reach SQL as parameters, but a bad one must be a 400, not a database error).
 * Throws CursorError otherwise.
 */
export function decodeCursor(
  cursor: string,
  filters: Readonly<Record<string, string | number | undefined>>,
  parts: readonly RegExp[],
): CursorKey {
  if (cursor.length > MAX_CURSOR_LENGTH || !CURSOR_PATTERN.test(cursor)) throw new CursorError("is not a cursor issued by this API");
  let doc: unknown;
  try {
    doc = JSON.parse(fromBase64url(cursor));
  } catch {
    throw new CursorError("is not a cursor issued by this API");
  }
  if (typeof doc !== "object" || doc === null) throw new CursorError("is not a cursor issued by this API");
  const { v, k, f } = doc as Record<string, unknown>;
  if (v !== VERSION || !Array.isArray(k) || k.length !== parts.length) throw new CursorError("is not a cursor issued by this API");
  if (!k.every((part, i) => typeof part === "string" && parts[i]!.test(part))) {
    throw new CursorError("is not a cursor issued by this API");
  }
  if (f !== filterFingerprint(filters)) throw new CursorError("was issued for different filters; start again without a cursor");
  return k as string[];
}
