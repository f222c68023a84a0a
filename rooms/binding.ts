/**
 * The names the Worker and its rooms share, and how the Worker reaches one room:
 * through the `Main` Durable Object binding, never the public URL. Free of
 * partyserver, so API code (and its Node tests) can import it.
 */

/** The room the Worker's health check asks; it never holds connections. */
export const HEALTH_ROOM = "health";
/** Set by the Worker (never by a client: any incoming value is replaced) to the connection id a verified token is bound to. */
export const BOUND_TOKEN_HEADER = "x-netra-room-bound";
/** The only party: the binding `Main` (class MainRoom). */
export const PARTY = "main";
export interface RoomsEnv {
  Main?: DurableObjectNamespace;
  [variable: string]: unknown;
}

/** How the Worker talks to one of its rooms: the binding, never the public URL. */
export function roomStub(env: RoomsEnv, room: string): { fetch(path: string, init?: RequestInit): Promise<Response> } | undefined {
  const namespace = env.Main;
  if (namespace === undefined) return undefined;
  const stub = namespace.get(namespace.idFromName(room));
  return {
    fetch: (path, init) => {
      const headers = new Headers(init?.headers);
      headers.set("x-partykit-room", room);
      return stub.fetch(`https://rooms.internal/parties/${PARTY}/${encodeURIComponent(room)}${path}`, { ...init, headers });
    },
  };
}
