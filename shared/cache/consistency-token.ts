/**
 * The consistency token: the tag versions a write produced, handed to the
 * client (header `x-netra-consistency`, or a cookie) and sent back on reads so
 * any isolate serves that client its own writes (see TagTable.behind).
 *
 * Format: `tag=version` pairs joined by `&`, each tag URI-encoded, each version
 * a non-negative safe integer; at most MAX_ENTRIES pairs and MAX_LENGTH
 * characters (header- and cookie-safe: no `;`, `,`, space or quote).
 *
 * @example
 * encodeToken(new Map([["public.users", 1733480000123457]])); // "public.users=1733480000123457"
 * decodeToken("public.users=1733480000123457").get("public.users"); // 1733480000123457
 */
import type { TagVersions } from "./types.ts";

export const MAX_ENTRIES = 32;
export const MAX_LENGTH = 4096;

export class ConsistencyTokenError extends Error {
  readonly code = "invalid_consistency_token";
  constructor(detail: string) {
    super(detail);
    this.name = "ConsistencyTokenError";
  }
}

export function encodeToken(versions: TagVersions): string {
  const parts: string[] = [];
  for (const [tag, version] of versions) parts.push(`${encodeURIComponent(tag)}=${version}`);
  return parts.join("&");
}

const VERSION = /^(0|[1-9][0-9]{0,15})$/;

/** Throws ConsistencyTokenError on anything but a well-formed token within the limits. */
export function decodeToken(text: string): Map<string, number> {
  if (text.length === 0 || text.length > MAX_LENGTH) throw new ConsistencyTokenError(`token must be 1-${MAX_LENGTH} characters`);
  const pairs = text.split("&");
  if (pairs.length > MAX_ENTRIES) throw new ConsistencyTokenError(`token names more than ${MAX_ENTRIES} tags`);
  const versions = new Map<string, number>();
  for (const pair of pairs) {
    const eq = pair.lastIndexOf("=");
    const raw = pair.slice(eq + 1);
    if (eq <= 0 || !VERSION.test(raw) || !Number.isSafeInteger(Number(raw))) throw new ConsistencyTokenError("each entry must be tag=version");
    let tag: string;
    try {
      tag = decodeURIComponent(pair.slice(0, eq));
    } catch {
      throw new ConsistencyTokenError("a tag is not valid URI encoding");
    }
    versions.set(tag, Math.max(versions.get(tag) ?? 0, Number(raw)));
  }
  return versions;
}

/**
 * A client's token after this request: its writes, then what it already carried (so reads of
 * earlier writes stay covered), the highest version per tag, at most MAX_ENTRIES tags
 * (this request's writes first, then the newest versions).
 */
export function mergeTokens(wrote: TagVersions, carried: TagVersions | undefined): Map<string, number> {
  const merged = new Map(wrote);
  if (carried === undefined) return merged;
  const older = [...carried].filter(([tag]) => !merged.has(tag)).sort((x, y) => y[1] - x[1]);
  for (const [tag, version] of carried) if (merged.has(tag)) merged.set(tag, Math.max(merged.get(tag)!, version));
  for (const [tag, version] of older) {
    if (merged.size >= MAX_ENTRIES) break;
    merged.set(tag, version);
  }
  return merged;
}
