/**
 * The main PartyKit party: batching rooms (shared/rooms/batching-room.ts) behind
 * token auth. Thin: it checks tokens and secrets, and turns PartyKit's events into
 * calls on the room. Hibernation stays off: the batchers' timers must keep running
 * while connections are open.
 *
 * Routes (partykit dev on :1999):
 *   WS    /parties/main/:room?token=...   connect (token from the Worker's POST /v1/rooms/:room/token)
 *   GET   /parties/main/health            200 {"status":"ok"}  (the Worker's /health probe; no auth)
 *   GET   /parties/main/:room             metrics and settings          (Bearer ROOM_TOKEN_SECRET)
 *   POST  /parties/main/:room             publish {"event":{name,data,priority?},"to"?:[ids]}  (Bearer)
 *   PATCH /parties/main/:room             change this room's settings, e.g. {"enabled":false}  (Bearer)
 */
import type * as Party from "partykit/server";
import { ConfigError, loadRoomConfig, type RoomAppConfig } from "../shared/config.ts";
import { systemScheduler } from "../shared/batching/message-batcher-types.ts";
import { roomEventsSink } from "../shared/analytics/room-snapshot-deltas.ts";
import { BatchingRoom } from "../shared/rooms/batching-room.ts";
import { parsePublishRequest, RoomInputError } from "../shared/rooms/protocol.ts";
import { applySettingsPatch, roomDefaults, type RoomSettings } from "../shared/rooms/room-settings.ts";
import { RoomTokenError, timingSafeEqual, verifyRoomToken } from "../shared/rooms/token.ts";
import { bearer, json, partyAndRoom, problem } from "./http.ts";
import { roomAnalytics } from "./analytics.ts";

/** The room the Worker's health check asks; it never holds connections. */
export const HEALTH_ROOM = "health";
const SETTINGS_KEY = "settings";

const configs = new WeakMap<object, RoomAppConfig>();

/** The room sections of the env, parsed once per env object; throws ConfigError. */
function roomConfig(env: Record<string, unknown>): RoomAppConfig {
  let config = configs.get(env);
  if (config === undefined) {
    config = loadRoomConfig(env);
    configs.set(env, config);
  }
  return config;
}

/** The room secret, or the problem to answer when there is none. */
function secretOf(env: Record<string, unknown>, instance: string): string | Response {
  try {
    const secret = roomConfig(env).rooms.tokenSecret;
    if (secret !== undefined) return secret;
    return problem(503, "rooms_not_configured", "ROOM_TOKEN_SECRET is not set for the rooms", instance);
  } catch (error) {
    if (error instanceof ConfigError) return problem(503, error.code, error.message, instance);
    throw error;
  }
}

const TOKEN_STATUS: Record<RoomTokenError["code"], number> = {
  token_missing: 401,
  token_malformed: 401,
  token_bad_signature: 401,
  token_expired: 401,
  token_wrong_room: 403,
  token_wrong_connection: 403,
};

export default class MainRoom implements Party.Server {
  readonly options: Party.ServerOptions = { hibernate: false };
  private core: BatchingRoom | undefined;

  constructor(readonly room: Party.Room) {}

  /** Runs in the edge worker before the room sees the socket: no valid token, no connection. */
  static async onBeforeConnect(request: Party.Request, lobby: Party.Lobby): Promise<Party.Request | Response> {
    const url = new URL(request.url);
    const target = partyAndRoom(request.url);
    if (target === undefined) return problem(404, "not_found", "not a room URL", url.pathname);
    const secret = secretOf(lobby.env, url.pathname);
    if (secret instanceof Response) return secret;
    try {
      const connectionId = url.searchParams.get("_pk") ?? undefined;
      await verifyRoomToken(secret, url.searchParams.get("token"), { party: target.party, room: lobby.id, ...(connectionId ? { connectionId } : {}) });
      return request;
    } catch (error) {
      if (!(error instanceof RoomTokenError)) throw error;
      return problem(TOKEN_STATUS[error.code], error.code, error.message, url.pathname);
    }
  }

  async onStart(): Promise<void> {
    if (this.room.id === HEALTH_ROOM) return;
    const saved = await this.room.storage.get<RoomSettings>(SETTINGS_KEY);
    if (saved !== undefined) this.batching().configure(saved);
  }

  onConnect(connection: Party.Connection): void {
    this.batching().connect({
      id: connection.id,
      send: (frame) => connection.send(frame),
      close: (code, reason) => connection.close(code, reason),
    });
  }

  onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection): void {
    this.batching().receive(sender.id, message);
  }

  onClose(connection: Party.Connection): void {
    this.core?.disconnect(connection.id);
    // Complete the close handshake: this runtime does not answer a client's close frame by itself.
    try {
      connection.close();
    } catch {
      // already closed
    }
  }

  onError(connection: Party.Connection): void {
    this.core?.disconnect(connection.id);
  }

  async onRequest(request: Party.Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (this.room.id === HEALTH_ROOM && (request.method === "GET" || request.method === "HEAD")) return json({ status: "ok" });
    const secret = secretOf(this.room.env, path);
    if (secret instanceof Response) return secret;
    const presented = bearer(request as unknown as Request);
    if (presented === undefined || !timingSafeEqual(presented, secret)) {
      return problem(401, "unauthorized", "the room secret is required as a Bearer token", path, { "www-authenticate": "Bearer" });
    }
    const room = this.batching();
    try {
      switch (request.method) {
        case "GET":
        case "HEAD":
          return json({ ...room.snapshot(), settings: room.settings });
        case "POST": {
          const result = room.publish(parsePublishRequest(await this.boundedBody(request)));
          return json(result, 202);
        }
        case "PATCH": {
          const settings = applySettingsPatch(room.settings, JSON.parse(await this.boundedBody(request)) as unknown);
          room.configure(settings);
          await this.room.storage.put(SETTINGS_KEY, settings);
          return json({ settings });
        }
        default:
          return problem(405, "method_not_allowed", `${request.method} is not supported here`, path, { allow: "GET, HEAD, POST, PATCH" });
      }
    } catch (error) {
      if (error instanceof RoomInputError) return problem(error.code === "too_large" ? 413 : 400, error.code, error.message, path);
      if (error instanceof SyntaxError) return problem(400, "bad_json", "body is not valid JSON", path);
      throw error;
    }
  }

  /** The request body, refused past the room's batch byte budget (one event must fit in a frame). */
  private async boundedBody(request: Party.Request): Promise<string> {
    const limit = this.batching().settings.maxBatchBytes;
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > limit) throw new RoomInputError("too_large", `body exceeds ${limit} bytes`);
    const text = await request.text();
    if (text.length > limit) throw new RoomInputError("too_large", `body exceeds ${limit} bytes`);
    return text;
  }

  private batching(): BatchingRoom {
    if (this.core === undefined) {
      const config = roomConfig(this.room.env);
      // Counters go to ClickHouse room_events every metricsIntervalMs and when the last connection leaves.
      const sink = roomAnalytics(config);
      this.core = new BatchingRoom({
        party: this.room.name,
        room: this.room.id,
        settings: roomDefaults(config.websocket),
        scheduler: systemScheduler,
        ...(sink === undefined ? {} : { metricsSink: roomEventsSink(sink), metricsIntervalMs: config.rooms.metricsIntervalMs }),
      });
    }
    return this.core;
  }
}

MainRoom satisfies Party.Worker;
