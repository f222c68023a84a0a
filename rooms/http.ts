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
