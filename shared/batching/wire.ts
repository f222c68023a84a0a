/**
 * The room's wire format, server to client: one WebSocket text frame per batch.
 *
 *   {"v":1,"s":41,"m":[<msg>,<msg>,...]}          messages numbered s, s+1, ...
 *   {"v":1,"s":44,"d":3,"m":[<msg>]}               3 messages were dropped before this frame
 *
 * `v` is the format version, `s` the sequence number of the first message (per
 * connection, consecutive), `d` (only when > 0) how many messages the server dropped
 * for this connection since its previous frame, `m` the messages (JSON values). A
 * single message costs the same envelope, about 20 bytes. Messages arrive already
 * serialized, so a frame is built by concatenation: nothing is parsed or stringified twice.
 *
 * @example
 * const frame = encodeFrame(41, ['{"type":"event"}', '{"type":"event"}']);
 * decodeFrame(frame); // { version: 1, seq: 41, dropped: 0, messages: [{type:"event"}, {type:"event"}] }
 */

export const WIRE_VERSION = 1;

/** A frame that is not this format (or not this version). */
export class WireFormatError extends Error {
  readonly code: "wire_malformed" | "wire_version";
  constructor(code: "wire_malformed" | "wire_version", message: string) {
    super(message);
    this.name = "WireFormatError";
    this.code = code;
  }
}

export interface Frame {
  version: number;
  /** Sequence number of messages[0]. */
  seq: number;
  /** Messages dropped by the server since the previous frame. */
  dropped: number;
  messages: unknown[];
}

/**
 * One frame from serialized messages. `bodies` must each be a JSON text (the caller
 * serialized them); the frame is then valid JSON by construction.
 */
export function encodeFrame(seq: number, bodies: readonly string[], dropped = 0): string {
  const drop = dropped > 0 ? `,"d":${dropped}` : "";
  return `{"v":${WIRE_VERSION},"s":${seq}${drop},"m":[${bodies.join(",")}]}`;
}

const isCount = (value: unknown, min: number): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= min;

/** Parse and check one frame; throws WireFormatError. */
export function decodeFrame(text: string): Frame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WireFormatError("wire_malformed", "frame is not JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new WireFormatError("wire_malformed", "frame is not an object");
  }
  const { v, s, d, m } = raw as Record<string, unknown>;
  if (v !== WIRE_VERSION) {
    // Name only a number's value: String() of parsed JSON can throw ({"toString":null}).
    throw new WireFormatError("wire_version", `unsupported frame version ${typeof v === "number" ? v : typeof v}`);
  }
  if (!isCount(s, 1)) throw new WireFormatError("wire_malformed", "frame seq must be an integer >= 1");
  if (d !== undefined && !isCount(d, 0)) throw new WireFormatError("wire_malformed", "frame drop count must be an integer >= 0");
  if (!Array.isArray(m) || m.length === 0) throw new WireFormatError("wire_malformed", "frame messages must be a non-empty array");
  return { version: v, seq: s, dropped: d ?? 0, messages: m };
}
