/**
 * The room as a PartyServer Durable Object (SQLite-backed, hibernating), exported by
 * the Worker and routed at /parties/main/:room (rooms/route.ts checks tokens first).
 * Thin: it turns PartyServer's events into calls on the runtime-free core
 * (shared/rooms/batching-room.ts) and gives it the object's SQLite storage.
 *
 * Routes (through the Worker):
 *   WS    /parties/main/:room?token=...[&_pk=id][&resume=<seq>.<id>&key=<resumeKey>]
 *   GET   /parties/main/health            200 {"status":"ok"}  (the Worker's /health probe; no auth)
 *   GET   /parties/main/:room             metrics and settings          (Bearer ROOM_TOKEN_SECRET)
 *   POST  /parties/main/:room             publish {"event":{name,data,priority?},"to"?:[ids]}  (Bearer)
 *   PATCH /parties/main/:room             change this room's settings, e.g. {"enabled":false}  (Bearer)
 *
 * Periodic work (metrics into ClickHouse, history pruning) runs in the object's alarm,
 * armed only after activity, so an idle room hibernates and costs nothing.
 */
import { Server, type Connection, type ConnectionContext, type WSMessage } from "partyserver";
import { systemScheduler } from "../shared/batching/message-batcher-types.ts";
import { encodeFrame } from "../shared/batching/wire.ts";
import { ConfigError, loadRoomConfig, type RoomAppConfig } from "../shared/config.ts";
import { roomEventsSink } from "../shared/analytics/room-snapshot-deltas.ts";
import { BatchingRoom, type ConnectionState, type RoomConnection } from "../shared/rooms/batching-room.ts";
import { errorMessage, parsePublishRequest, RoomInputError } from "../shared/rooms/protocol.ts";
import { parseResumeClaim } from "../shared/rooms/resume.ts";
import { applySettingsPatch, roomDefaults, type RoomSettings } from "../shared/rooms/room-settings.ts";
import { timingSafeEqual } from "../shared/rooms/token.ts";
import { roomAnalytics, type RoomAnalytics } from "./analytics.ts";
import { bearer, json, problem } from "./http.ts";
import { SqliteRoomStore } from "./sqlite-room-store.ts";
import { BOUND_TOKEN_HEADER, HEALTH_ROOM } from "./binding.ts";

const SETTINGS_KEY = "settings";
/** Close code for a connect whose parameters are malformed (a coded error frame comes first). */
const BAD_REQUEST_CLOSE_CODE = 4400;

export class MainRoom extends Server {
  static override options = { hibernate: true };
  private core: BatchingRoom | undefined;
  private config: RoomAppConfig | undefined;
  private analytics: RoomAnalytics | undefined;
  /** Unix ms of the armed alarm; undefined: none (read back from storage on every wake). */
  private alarmAt: number | undefined;

  override async onStart(): Promise<void> {
    if (this.name === HEALTH_ROOM) return;
    let config: RoomAppConfig;
    try {
      config = this.roomConfig();
    } catch (error) {
      // Answered as a 503 problem by onRequest; sockets are closed with 1011.
      if (error instanceof ConfigError) return;
      throw error;
    }
    const saved = await this.ctx.storage.get<RoomSettings>(SETTINGS_KEY);
    this.alarmAt = (await this.ctx.storage.getAlarm()) ?? undefined;
    this.analytics = roomAnalytics(config);
    this.core = new BatchingRoom({
      party: "main",
      room: this.name,
      settings: saved ?? roomDefaults(config.websocket),
      scheduler: systemScheduler,
      store: new SqliteRoomStore(this.ctx.storage.sql),
      history: config.rooms.history,
      newKey: () => crypto.randomUUID(),
      ...(this.analytics === undefined ? {} : { metricsSink: roomEventsSink(this.analytics) }),
    });
    // Back from hibernation: the sockets are still open and each carries its state.
    for (const connection of this.getConnections<ConnectionState>()) {
      const state = connection.state;
      if (state?.v === 1) this.core.restore(this.adapt(connection, state.socket, state.acks), state as ConnectionState);
    }
  }

  override onConnect(connection: Connection, { request }: ConnectionContext): void {
    const room = this.core;
    if (room === undefined) {
      connection.close(1011, "room unavailable");
      return;
    }
    const url = new URL(request.url);
    const claim = parseResumeClaim(url.searchParams.get("resume"));
    if (claim === "malformed") {
      connection.send(encodeFrame(1, [errorMessage("bad_resume", "resume must be <last seq>.<last id>, two non-negative integers")]));
      connection.close(BAD_REQUEST_CLOSE_CODE, "malformed resume");
      return;
    }
    room.connect(this.adapt(connection, crypto.randomUUID(), url.searchParams.get("ack") === "1"), {
      claim,
      key: url.searchParams.get("key") ?? undefined,
      boundToken: request.headers.get(BOUND_TOKEN_HEADER) === connection.id,
    });
    this.touch();
  }

  override onMessage(connection: Connection<ConnectionState>, message: WSMessage): void {
    const socket = connection.state?.socket;
    if (socket === undefined || this.core === undefined) return;
    this.core.receive({ id: connection.id, socket }, message);
    this.touch();
  }

  override onClose(connection: Connection<ConnectionState>, code: number): void {
    this.leave(connection);
    // A close frame without a status (1005) is still a close frame: answer it, or the client
    // waits out its close timeout. PartyServer answers every other code itself.
    if (code === 1005) {
      try {
        connection.close();
      } catch {
        // already closed
      }
    }
  }

  override onError(connection: Connection<ConnectionState>): void {
    this.leave(connection);
  }

  override async onRequest(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (this.name === HEALTH_ROOM && (request.method === "GET" || request.method === "HEAD")) return json({ status: "ok" });
    let secret: string | undefined;
    try {
      secret = this.roomConfig().rooms.tokenSecret;
    } catch (error) {
      if (error instanceof ConfigError) return problem(503, error.code, error.message, path);
      throw error;
    }
    if (secret === undefined) return problem(503, "rooms_not_configured", "ROOM_TOKEN_SECRET is not set for the rooms", path);
    const presented = bearer(request);
    if (presented === undefined || !timingSafeEqual(presented, secret)) {
      return problem(401, "unauthorized", "the room secret is required as a Bearer token", path, { "www-authenticate": "Bearer" });
    }
    const room = this.core;
    if (room === undefined) return problem(503, "room_unavailable", "the room could not start", path);
    try {
      switch (request.method) {
        case "GET":
        case "HEAD":
          return json({ ...room.snapshot(), settings: room.settings });
        case "POST": {
          const result = room.publish(parsePublishRequest(await this.boundedBody(request, room)));
          this.touch();
          return json(result, 202);
        }
        case "PATCH": {
          const settings = applySettingsPatch(room.settings, JSON.parse(await this.boundedBody(request, room)) as unknown);
          await this.ctx.storage.put(SETTINGS_KEY, settings);
          room.configure(settings);
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

  /**
   * Metrics out and history pruned. Set again only for the sink's next due time (a
   * failed insert's backoff) or when something happens (touch), so an idle room
   * hibernates.
   */
  override async onAlarm(): Promise<void> {
    this.alarmAt = undefined;
    const room = this.core;
    if (room === undefined) return;
    room.prune();
    await room.emitMetrics();
    await this.analytics?.flushDue();
    const due = this.analytics?.msUntilDue();
    if (due !== undefined) this.schedule(Date.now() + due);
  }

  /** Something happened: make sure an alarm will report it within the metrics interval. */
  private touch(): void {
    if (this.config !== undefined) this.schedule(Date.now() + this.config.rooms.metricsIntervalMs);
  }

  /** One alarm per object: keep the earliest time asked for. */
  private schedule(at: number): void {
    if (this.alarmAt !== undefined && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  private leave(connection: Connection<ConnectionState>): void {
    const socket = connection.state?.socket;
    if (socket !== undefined) this.core?.disconnect({ id: connection.id, socket });
    this.touch();
  }

  private adapt(connection: Connection, socket: string, acks: boolean): RoomConnection {
    return {
      id: connection.id,
      socket,
      acks,
      send(frame) {
        try {
          connection.send(frame);
        } catch {
          // The socket is closing; its close event takes it out of the room.
        }
      },
      close(code, reason) {
        try {
          connection.close(code, reason);
        } catch {
          // already closed
        }
      },
      save: (state) => {
        connection.setState(state);
      },
    };
  }

  /** The request body, refused past the room's batch byte budget (one event must fit in a frame). */
  private async boundedBody(request: Request, room: BatchingRoom): Promise<string> {
    const limit = room.settings.maxBatchBytes;
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > limit) throw new RoomInputError("too_large", `body exceeds ${limit} bytes`);
    const text = await request.text();
    if (text.length > limit) throw new RoomInputError("too_large", `body exceeds ${limit} bytes`);
    return text;
  }

  /** The room sections of the env, parsed once per object; throws ConfigError. */
  private roomConfig(): RoomAppConfig {
    this.config ??= loadRoomConfig(this.env as unknown as Record<string, unknown>);
    return this.config;
  }
}
