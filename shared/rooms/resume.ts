/**
 * Whether a connection may pick up where an earlier one with the same id left off,
 * and from where. Pure: the room passes what it knows.
 *
 * A client resumes by connecting with its connection id and, optionally, a claim: the
 * last sequence number it saw and the last history id it saw (`?resume=<seq>.<id>`),
 * plus the resume key from its first hello (`&key=`) unless its token is bound to the
 * id. Without a claim the room assumes the client saw everything sent to it.
 * Outcomes:
 * - `resume`: continue numbering after `lastSeq` and replay every visible message
 *   after `afterId`;
 * - `reset`: start over at sequence 1 (the client's reader reports a reset gap): the
 *   id is unknown, the claim is one this connection never had, the key is wrong, or
 *   the missed messages left the history window;
 * - `refuse`: the id belongs to an open connection and the newcomer cannot prove it
 *   is the same client (taking over would cut the real one off);
 * - `new`: a first connection.
 */
import { timingSafeEqual } from "./token.ts";
import type { ConnectionRecord } from "./room-store.ts";

export interface ResumeClaim {
  lastSeq: number;
  lastId: number;
}

/** Where an open socket with the same id stands (from its serialized state). */
export interface LivePosition {
  nextSeq: number;
  sentId: number;
}

export interface ResumeInput {
  record: ConnectionRecord | undefined;
  live: LivePosition | undefined;
  claim: ResumeClaim | undefined;
  key: string | undefined;
  /** The connection's token names this connection id. */
  boundToken: boolean;
  /** The room's history: oldest id still held, and the id the next message gets. */
  oldestId: number;
  nextId: number;
}

export type ResumeDecision =
  | { kind: "new" }
  | { kind: "reset"; reason: string }
  | { kind: "refuse"; reason: string }
  | { kind: "resume"; nextSeq: number; afterId: number };

/** `?resume=<seq>.<id>`: two non-negative safe integers, or undefined (absent or malformed: treated as no claim is not safe, so malformed is reported). */
export function parseResumeClaim(value: string | null): ResumeClaim | "malformed" | undefined {
  if (value === null || value === "") return undefined;
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(value);
  if (!match) return "malformed";
  return { lastSeq: Number(match[1]), lastId: Number(match[2]) };
}

export function decideResume(input: ResumeInput): ResumeDecision {
  const { record, live, claim, key, boundToken, oldestId, nextId } = input;
  if (record === undefined) return claim === undefined ? { kind: "new" } : { kind: "reset", reason: "unknown connection" };
  const proven = boundToken || (key !== undefined && timingSafeEqual(key, record.key));
  if (!proven) {
    return live === undefined ? { kind: "reset", reason: "resume key missing or wrong" } : { kind: "refuse", reason: "connection id in use" };
  }
  // What this id was sent, when known: its open socket, or the record it left. A room
  // evicted while the socket was open knows only where it started.
  const known: LivePosition | undefined = live ?? (record.leftAt !== null && record.nextSeq > 0 ? record : undefined);
  const position = claim ?? (known === undefined ? undefined : { lastSeq: known.nextSeq - 1, lastId: known.sentId });
  if (position === undefined) return { kind: "reset", reason: "no resume position" };
  const maxSeq = known === undefined ? Number.MAX_SAFE_INTEGER : known.nextSeq - 1;
  const maxId = Math.min(known?.sentId ?? Number.MAX_SAFE_INTEGER, nextId - 1);
  if (position.lastSeq > maxSeq || position.lastId > maxId || position.lastId < record.firstId - 1) {
    return { kind: "reset", reason: "claimed position was never sent to this connection" };
  }
  // Something after lastId was published and is gone from the history: a hole we cannot fill.
  if (position.lastId < nextId - 1 && position.lastId + 1 < oldestId) return { kind: "reset", reason: "missed messages left the history window" };
  return { kind: "resume", nextSeq: position.lastSeq + 1, afterId: position.lastId };
}
