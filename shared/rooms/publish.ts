/**
 * Publish a server event to a room over HTTP: `POST /parties/<party>/<room>` with the
 * shared secret as a Bearer token. Used by the Worker when an agent's state changes
 * (room per agent session). Plain fetch, so it runs in the Worker, Node and tests.
 *
 * @example
 * await publishToRoom({ host: cfg.partykit.host, secret: cfg.rooms.tokenSecret, party: "main",
 *   room: `agent-${sessionId}`, event: { name: "agent.state", data: { status: "running" } } });
 */
import { partyKitOrigin } from "../config.ts";

export interface RoomEvent {
  name: string;
  data?: unknown;
  /** At or above the room's priority threshold (default 3): delivered at once. */
  priority?: number;
}

export interface PublishOptions {
  /** PartyKit host[:port] or origin (config `partykit.host`). */
  host: string;
  secret: string;
  party?: string;
  room: string;
  event: RoomEvent;
  /** Only these connection ids; default everyone in the room. */
  to?: readonly string[];
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface PublishResult {
  /** Connections the event was queued for. */
  delivered: number;
  /** Recently closed connections that will see it as a gap when they come back. */
  missed: number;
}

/** The room refused or failed the publish; `status` is its HTTP status (0: no answer). */
export class PublishError extends Error {
  readonly code = "room_publish_failed";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

/** The room's HTTP URL. */
export function roomUrl(host: string, party: string, room: string): string {
  return `${partyKitOrigin(host)}/parties/${encodeURIComponent(party)}/${encodeURIComponent(room)}`;
}

export async function publishToRoom(options: PublishOptions): Promise<PublishResult> {
  const { host, secret, party = "main", room, event, to, timeoutMs = 2000 } = options;
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(roomUrl(host, party, room), {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify(to === undefined ? { event } : { event, to }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new PublishError(0, `room ${party}/${room} did not answer: ${(error as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new PublishError(res.status, `room ${party}/${room} refused the event (${res.status}): ${text.slice(0, 200)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const { delivered, missed } = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  // Something other than the room answered 2xx (a proxy page, a truncated body): a failed publish, not a SyntaxError.
  if (typeof delivered !== "number" || typeof missed !== "number") {
    throw new PublishError(res.status, `room ${party}/${room} answered ${res.status} without a publish result: ${text.slice(0, 200)}`);
  }
  return { delivered, missed };
}
