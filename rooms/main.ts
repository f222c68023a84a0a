/**
 * The main PartyKit party. Thin on purpose: it greets each WebSocket with its
 * connection id and answers HTTP with the room's status. Message batching
 * (shared/batching) plugs in here later. Hibernation stays off: batching timers
 * must keep running while connections are open.
 *
 * Routes (partykit dev on :1999):
 *   GET /parties/main/health   -> 200 {"status":"ok"}  (the Worker's /health probe)
 *   GET /parties/main/:room    -> 200 {"room", "connections"}
 *   WS  /parties/main/:room    -> first frame {"type":"hello","connectionId","room"}
 */
import type * as Party from "partykit/server";

/** The room the Worker's health check asks; it never holds connections. */
export const HEALTH_ROOM = "health";

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

export default class MainRoom implements Party.Server {
  readonly options: Party.ServerOptions = { hibernate: false };

  constructor(readonly room: Party.Room) {}

  onConnect(connection: Party.Connection): void {
    connection.send(JSON.stringify({ type: "hello", connectionId: connection.id, room: this.room.id }));
  }

  onRequest(request: Party.Request): Response {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json({ error: "method not allowed" }, 405, { allow: "GET, HEAD" });
    }
    if (this.room.id === HEALTH_ROOM) return json({ status: "ok" });
    let connections = 0;
    for (const _ of this.room.getConnections()) connections += 1;
    return json({ room: this.room.id, connections });
  }
}

MainRoom satisfies Party.Worker;
