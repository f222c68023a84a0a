/**
 * Publish a server event to a room: `POST` on the room with the shared secret as a
 * Bearer token. Used by the Worker when an agent's state changes (room per agent
 * session). The room is reached through a RoomTarget: in the Worker, the room's
 * Durable Object stub (rooms/route.ts `roomStub`), never the public URL.
 *
 * @example
 * await publishToRoom({ target: roomStub(env, `agent-${sessionId}`)!, room: `agent-${sessionId}`,
 *   secret: cfg.rooms.tokenSecret, event: { name: "agent.state", data: { status: "running" } } });
 */

/** One room, reachable by path (relative to the room) like fetch. */
export interface RoomTarget {
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export interface RoomEvent {
  name: string;
  data?: unknown;
  /** At or above the room's priority threshold (default 3): delivered at once. */
  priority?: number;
}

export interface PublishOptions {
  target: RoomTarget;
  /** The room's name, for errors. */
  room: string;
  secret: string;
  event: RoomEvent;
  /** Only these connection ids; default everyone in the room. */
  to?: readonly string[];
  timeoutMs?: number;
}

export interface PublishResult {
  /** Connections the event was queued for. */
  delivered: number;
  /** Connections away within the history window: they receive it when they resume. */
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

export async function publishToRoom(options: PublishOptions): Promise<PublishResult> {
  const { target, secret, room, event, to, timeoutMs = 2000 } = options;
  let res: Response;
  try {
    res = await target.fetch("", {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify(to === undefined ? { event } : { event, to }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new PublishError(0, `room ${room} did not answer: ${(error as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new PublishError(res.status, `room ${room} refused the event (${res.status}): ${text.slice(0, 200)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const { delivered, missed } = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  // Something other than the room answered 2xx (a proxy page, a truncated body): a failed publish, not a SyntaxError.
  if (typeof delivered !== "number" || typeof missed !== "number") {
    throw new PublishError(res.status, `room ${room} answered ${res.status} without a publish result: ${text.slice(0, 200)}`);
  }
  return { delivered, missed };
}
