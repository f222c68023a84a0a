/**
 * What clients and publishers may send a room, checked by hand (this runs on every
 * inbound message, so no schema library on the hot path).
 *
 * Client -> room (one JSON text per WebSocket message):
 *   {"type":"message","data":<any>,"priority"?:0-9,"to"?:["connection-id",...]}
 *   {"type":"ack","seq":n}   everything up to seq n arrived (connections opened with ?ack=1:
 *                            the room's measure of what a slow reader has not taken yet)
 * Room -> client (inside frames, wire.ts):
 *   {"type":"hello","connectionId","room","party","resumed","recovery":"new"|"recovered"|"reset","resumeKey","settings"}
 *   {"type":"message","id":<history id>,"from":"<connection id>","data":<any>,"priority"?:n}
 *   {"type":"event","id":<history id>,"name":"agent.state","data":<any>}
 *   {"type":"recovered","count":n,"lastId":<history id>}   after a resume's replay
 *   {"type":"error","code":"bad_json"|...,"message":"..."}
 * Publisher -> room (HTTP POST, Bearer secret):
 *   {"event":{"name":"agent.state","data":<any>,"priority"?:0-9},"to"?:["connection-id",...]}
 */

export const MAX_PRIORITY = 9;
export const MAX_RECIPIENTS = 100;
const MAX_ID_LENGTH = 128;
const MAX_EVENT_NAME_LENGTH = 128;
/**
 * JSON.parse accepts any nesting, but re-serializing the data for the other
 * connections recurses: a few thousand levels overflow the stack mid-delivery.
 * Above the API's MAX_JSON_DEPTH (64), so an agent state it accepted still fits
 * once the publisher wraps it in an event.
 */
export const MAX_DATA_DEPTH = 128;

export type InputErrorCode =
  | "bad_json"
  | "bad_message"
  | "unknown_type"
  | "too_large"
  | "binary_unsupported"
  | "rate_limited";

/** Bad input from a client or publisher; `code` is stable and goes back in the error frame or problem body. */
export class RoomInputError extends Error {
  readonly code: InputErrorCode;
  constructor(code: InputErrorCode, message: string) {
    super(message);
    this.name = "RoomInputError";
    this.code = code;
  }
}

/** An acknowledgement: the client has every message up to `seq`. */
export interface ClientAck {
  type: "ack";
  seq: number;
}

export interface ClientMessage {
  type: "message";
  data: unknown;
  priority: number;
  /** Named recipients; undefined: everyone else in the room. */
  to: string[] | undefined;
}

export interface PublishRequest {
  name: string;
  data: unknown;
  priority: number;
  to: string[] | undefined;
}

type Json = Record<string, unknown>;

function parseObject(text: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RoomInputError("bad_json", "message is not valid JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new RoomInputError("bad_message", "message must be a JSON object");
  return raw as Json;
}

function priorityOf(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_PRIORITY) {
    throw new RoomInputError("bad_message", `priority must be an integer 0-${MAX_PRIORITY}`);
  }
  return value;
}

function recipientsOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_RECIPIENTS ||
    !value.every((id) => typeof id === "string" && id.length > 0 && id.length <= MAX_ID_LENGTH)
  ) {
    throw new RoomInputError("bad_message", `to must list 1-${MAX_RECIPIENTS} connection ids`);
  }
  return value as string[];
}

/** Whether `value` nests containers deeper than `max` levels; stops descending at the bound. */
function nestsDeeper(value: unknown, max: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (max === 0) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (nestsDeeper(child, max - 1)) return true;
  }
  return false;
}

function dataOf(value: unknown): unknown {
  if (nestsDeeper(value, MAX_DATA_DEPTH)) throw new RoomInputError("bad_message", `data must nest at most ${MAX_DATA_DEPTH} levels`);
  return value;
}

/** Check one WebSocket message from a client; throws RoomInputError. */
export function parseClientMessage(raw: string | ArrayBuffer | ArrayBufferView, maxBytes: number): ClientMessage | ClientAck {
  if (typeof raw !== "string") throw new RoomInputError("binary_unsupported", "binary messages are not accepted");
  // Characters, not bytes, bound the parse; a UTF-8 byte count would mean encoding every message.
  if (raw.length > maxBytes) throw new RoomInputError("too_large", `message exceeds ${maxBytes} bytes`);
  const message = parseObject(raw);
  if (message.type === "ack") {
    if (!Number.isSafeInteger(message.seq) || (message.seq as number) < 0) throw new RoomInputError("bad_message", "ack seq must be a non-negative integer");
    return { type: "ack", seq: message.seq as number };
  }
  if (message.type !== "message") {
    // Echo only a string type: stringifying an arbitrary value can overflow the stack (deep nesting).
    const named = typeof message.type === "string" ? JSON.stringify(message.type.slice(0, 64)) : typeof message.type;
    throw new RoomInputError("unknown_type", `unknown message type ${named}`);
  }
  if (!("data" in message)) throw new RoomInputError("bad_message", "message needs data");
  return { type: "message", data: dataOf(message.data), priority: priorityOf(message.priority), to: recipientsOf(message.to) };
}

/** Check a publisher's POST body (already size-checked); throws RoomInputError. */
export function parsePublishRequest(text: string): PublishRequest {
  const body = parseObject(text);
  const event = body.event;
  if (typeof event !== "object" || event === null || Array.isArray(event)) throw new RoomInputError("bad_message", "event must be an object");
  const { name, data, priority } = event as Json;
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_EVENT_NAME_LENGTH) {
    throw new RoomInputError("bad_message", `event.name must be a string of 1-${MAX_EVENT_NAME_LENGTH} characters`);
  }
  return { name, data: dataOf(data ?? null), priority: priorityOf(priority), to: recipientsOf(body.to) };
}

/** The serialized error message a client receives (inside a frame). */
export function errorMessage(code: string, message: string): string {
  return JSON.stringify({ type: "error", code, message });
}
