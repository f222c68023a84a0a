/**
 * A room client on partysocket: reconnects by itself (fetching a fresh token for each
 * attempt) and resumes: it tells the room the last sequence number and history id it
 * took and the resume key from its hello, so the room replays what it missed (queued
 * or published while it was away) in order and once, then a `recovered` marker. It
 * unbatches frames and hands the application one message at a time, in order, with
 * its sequence number, and acknowledges what it took (the room's backpressure
 * signal: a reader that stops taking messages is shed, not buffered without bound).
 * Gaps (server drops, a room that could not resume it) are reported before the
 * messages that follow them. Works in browsers and in Node (pass `WebSocket` from `ws`).
 *
 * @example
 * const client = connectRoom({ host: "127.0.0.1:1999", room: "agent-42", token: () => fetchToken(),
 *   WebSocket: WS, onMessage: (m) => render(m), onGap: (g) => resync(g) });
 * client.send({ step: 3 });
 */
import PartySocket, { type PartySocketOptions } from "partysocket";
import { FrameReader, type SeqGap } from "../batching/wire-reader.ts";
import { WireFormatError } from "../batching/wire.ts";

export type { SeqGap } from "../batching/wire-reader.ts";

export type RoomMessage =
  | {
      type: "hello";
      connectionId: string;
      room: string;
      party: string;
      resumed: boolean;
      recovery: "new" | "recovered" | "reset";
      resumeKey: string;
      settings: { enabled: boolean; maxWaitMs: number; priorityThreshold: number };
    }
  | { type: "message"; id: number; from: string; data: unknown; priority?: number }
  | { type: "event"; id: number; name: string; data: unknown }
  | { type: "recovered"; count: number; lastId: number }
  | { type: "error"; code: string; message: string };

/** Acknowledge at least this often while messages arrive (ms), so the room never sees a live reader as stalled. */
const ACK_INTERVAL_MS = 100;

/**
 * Reconnect timing. partysocket's own defaults wait 3 s before the first attempt after
 * a drop (and count a socket up for less than 5 s as a failure, so a flapping link
 * waits longer each time): a resuming client would sit out 3 s of messages it is owed
 * before asking for them. Here the first attempt after a drop goes within
 * RECONNECT_FIRST_MS (a random share of it, so a room's clients cut off together do
 * not all come back in the same millisecond), failed attempts back off x2 up to
 * 10 s, and a socket counts as a success once it has been up for a second.
 */
const RECONNECT_FIRST_MS = 250;
function reconnectDefaults(): Pick<PartySocketOptions, "minReconnectionDelay" | "reconnectionDelayGrowFactor" | "maxReconnectionDelay" | "minUptime"> {
  return { minReconnectionDelay: Math.round(20 + Math.random() * (RECONNECT_FIRST_MS - 20)), reconnectionDelayGrowFactor: 2, maxReconnectionDelay: 10_000, minUptime: 1_000 };
}

export interface RoomClientOptions {
  host: string;
  party?: string;
  room: string;
  /** A token, or a function that returns a fresh one; called before every (re)connect. */
  token: string | (() => string | Promise<string>);
  /** Connection id, kept across reconnects (the room resumes its numbering). Default: random. */
  id?: string;
  /** WebSocket constructor where there is no global one (Node: `ws`). */
  WebSocket?: unknown;
  /** Extra partysocket options (maxRetries, delays, startClosed...); delays default to reconnectDefaults(). */
  socket?: Partial<Omit<PartySocketOptions, "host" | "room" | "party" | "id" | "query" | "WebSocket">>;
  onMessage(message: RoomMessage, seq: number): void;
  onGap?(gap: SeqGap): void;
  /** A frame that is not the wire format: a bug or a wrong endpoint, never silent. */
  onProtocolError?(error: WireFormatError): void;
}

export interface RoomClient {
  readonly socket: PartySocket;
  readonly id: string;
  /** Sequence number of the last message handed out. */
  readonly lastSeq: number;
  /** Send a message to the room (everyone else, or `to`). Priority >= the room's threshold is delivered at once. */
  send(data: unknown, options?: { priority?: number; to?: string[] }): void;
  close(): void;
}

export function connectRoom(options: RoomClientOptions): RoomClient {
  const reader = new FrameReader();
  const { token } = options;
  let resumeKey: string | undefined;
  let lastId = 0;
  let acked = 0;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  const ack = () => {
    ackTimer = undefined;
    if (reader.lastSeq <= acked || socket.readyState !== socket.OPEN) return;
    acked = reader.lastSeq;
    socket.send(JSON.stringify({ type: "ack", seq: acked }));
  };
  const socket = new PartySocket({
    ...reconnectDefaults(),
    ...options.socket,
    host: options.host,
    party: options.party ?? "main",
    room: options.room,
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(options.WebSocket === undefined ? {} : { WebSocket: options.WebSocket }),
    query: async () => ({
      token: typeof token === "string" ? token : await token(),
      ack: "1",
      // After the first hello: where this client stands, so the room resumes it.
      ...(resumeKey === undefined ? {} : { key: resumeKey, resume: `${reader.lastSeq}.${lastId}` }),
    }),
  });
  // A new socket starts with nothing acknowledged on the room's side.
  socket.addEventListener("open", () => (acked = 0));
  socket.addEventListener("message", (event: MessageEvent) => {
    let result;
    try {
      result = reader.read(typeof event.data === "string" ? event.data : String(event.data));
    } catch (error) {
      if (error instanceof WireFormatError && options.onProtocolError) options.onProtocolError(error);
      else if (!(error instanceof WireFormatError)) throw error;
      return;
    }
    for (const gap of result.gaps) options.onGap?.(gap);
    for (const { seq, message } of result.messages) {
      const m = message as RoomMessage;
      if (m.type === "hello") resumeKey = m.resumeKey;
      else if ((m.type === "message" || m.type === "event") && typeof m.id === "number") lastId = m.id;
      options.onMessage(m, seq);
    }
    ackTimer ??= setTimeout(ack, ACK_INTERVAL_MS);
  });
  return {
    socket,
    get id() {
      return socket.id;
    },
    get lastSeq() {
      return reader.lastSeq;
    },
    send(data, { priority, to } = {}) {
      socket.send(JSON.stringify({ type: "message", data, ...(priority === undefined ? {} : { priority }), ...(to === undefined ? {} : { to }) }));
    },
    close() {
      if (ackTimer !== undefined) clearTimeout(ackTimer);
      socket.close();
    },
  };
}
