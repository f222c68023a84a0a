/**
 * Pure helpers that turn what a finished HTTP exchange says about itself into a
 * request_events row. The Hono middleware (functions/middleware/metrics.ts) reads the
 * headers; this module knows their formats.
 */
import type { RequestEventRow } from "./event-rows.ts";

/** The tiers the API reports in `x-cache`; anything else is stored as "other". */
const CACHE_TIERS = new Set(["l1", "l2", "stale", "miss", "bypass"]);

/**
 * The `db` entry's duration in a Server-Timing header (`db;dur=12.5, cache;desc=l1`),
 * summed when the entry repeats; 0 when absent or malformed.
 *
 * @example
 * serverTimingDbMs("cache;dur=0.2, db;dur=12.5"); // 12.5
 */
export function serverTimingDbMs(header: string | null | undefined): number {
  if (header === null || header === undefined || header === "") return 0;
  let total = 0;
  for (const entry of header.split(",")) {
    const parts = entry.split(";");
    if (parts[0]?.trim().toLowerCase() !== "db") continue;
    for (let i = 1; i < parts.length; i++) {
      const [key, value] = parts[i]!.split("=");
      if (key?.trim().toLowerCase() !== "dur" || value === undefined) continue;
      const ms = Number(value.trim().replace(/^"|"$/g, ""));
      if (Number.isFinite(ms) && ms >= 0) total += ms;
    }
  }
  return total;
}

/** The cache tier from `x-cache` ("L1", "l2", "MISS" ...), lower-cased; "" when the response has none. */
export function cacheTier(header: string | null | undefined): string {
  if (header === null || header === undefined || header === "") return "";
  const tier = header.trim().toLowerCase();
  return CACHE_TIERS.has(tier) ? tier : "other";
}

/** A Content-Length as a byte count; 0 when absent (streamed bodies are not read to count them). */
export function responseBytes(contentLength: string | null | undefined): number {
  if (contentLength === null || contentLength === undefined || !/^\d{1,10}$/.test(contentLength)) return 0;
  const n = Number(contentLength);
  return n <= 0xffffffff ? n : 0;
}
