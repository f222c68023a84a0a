/**
 * The Worker's side of the rooms: requests under /parties/ go to the room's Durable
 * Object through the `Main` binding (PartyServer's routePartykitRequest maps the
 * binding `Main` to /parties/main/:room), after the token check: no valid token, no
 * WebSocket. Everything else returns null and goes to the API.
 */
import { routePartykitRequest } from "partyserver";
import { ConfigError, loadRoomConfig } from "../shared/config.ts";
import { RoomTokenError, verifyRoomToken } from "../shared/rooms/token.ts";
import { BOUND_TOKEN_HEADER, PARTY, type RoomsEnv } from "./binding.ts";
import { isRoomUrl, partyAndRoom, problem } from "./http.ts";

const MAX_ROOM_LENGTH = 160;

const TOKEN_STATUS: Record<RoomTokenError["code"], number> = {
  token_missing: 401,
  token_malformed: 401,
  token_bad_signature: 401,
  token_expired: 401,
  token_wrong_room: 403,
  token_wrong_connection: 403,
};

/** The room's answer for a /parties/ request, or null when the request is not for a room. */
export async function routeRoomRequest(request: Request, env: RoomsEnv): Promise<Response | null> {
  if (!isRoomUrl(request.url)) return null;
  const path = new URL(request.url).pathname;
  const target = partyAndRoom(request.url);
  if (target === undefined || target.party !== PARTY || target.room.length > MAX_ROOM_LENGTH) {
    return problem(404, "not_found", "no such room (rooms live at /parties/main/<room>)", path);
  }
  if (env.Main === undefined) return problem(503, "rooms_not_configured", "the Main Durable Object binding is missing", path);
  const response = await routePartykitRequest(request, env as unknown as Cloudflare.Env, {
    onBeforeConnect: (req, lobby) => checkToken(req, env, lobby.name, path),
  });
  return response ?? problem(404, "not_found", "no such room", path);
}

async function checkToken(request: Request, env: RoomsEnv, room: string, path: string): Promise<Request | Response> {
  let secret: string | undefined;
  try {
    secret = loadRoomConfig(env).rooms.tokenSecret;
  } catch (error) {
    if (error instanceof ConfigError) return problem(503, error.code, error.message, path);
    throw error;
  }
  if (secret === undefined) return problem(503, "rooms_not_configured", "ROOM_TOKEN_SECRET is not set for the rooms", path);
  const url = new URL(request.url);
  const connectionId = url.searchParams.get("_pk") ?? undefined;
  try {
    const claims = await verifyRoomToken(secret, url.searchParams.get("token"), { party: PARTY, room, ...(connectionId ? { connectionId } : {}) });
    const forwarded = new Request(request);
    forwarded.headers.delete(BOUND_TOKEN_HEADER);
    if (claims.connectionId !== undefined) forwarded.headers.set(BOUND_TOKEN_HEADER, claims.connectionId);
    return forwarded;
  } catch (error) {
    if (!(error instanceof RoomTokenError)) throw error;
    return problem(TOKEN_STATUS[error.code], error.code, error.message, path);
  }
}
