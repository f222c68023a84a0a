/** JSON and problem+json answers for the rooms: problems through the API's one renderer (shared/api/problem.ts). */
import { problemResponse } from "../shared/api/problem.ts";

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

export function problem(status: number, code: string, detail: string, instance: string, headers: Record<string, string> = {}): Response {
  return problemResponse({ status, code, detail }, { instance }, { "cache-control": "no-store", ...headers });
}

const ROOMS_PREFIX = "/parties/";

/**
 * Whether a request URL's path starts with /parties/, without parsing the URL: the
 * Worker asks this of every request, and a `new URL` per API call is measurable
 * (README, "Request path"). `request.url` is already serialized by the runtime, so the
 * path starts at the first "/" after "scheme://" and the host.
 */
export function isRoomUrl(url: string): boolean {
  return url.startsWith(ROOMS_PREFIX, url.indexOf("/", url.indexOf("://") + 3));
}

/** `/parties/<party>/<room>[/...]` -> its party and room, decoded. */
export function partyAndRoom(url: string): { party: string; room: string } | undefined {
  const match = /^\/parties\/([^/]+)\/([^/]+)/.exec(new URL(url).pathname);
  if (!match) return undefined;
  try {
    return { party: decodeURIComponent(match[1]!), room: decodeURIComponent(match[2]!) };
  } catch {
    return undefined;
  }
}

/** The Bearer credential of a request, if any. */
export function bearer(request: Request): string | undefined {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}
