/**
 * The client side of the wire format: frames in, messages out one at a time with
 * their sequence numbers, and every gap named. Pure; the partysocket helper
 * (shared/rooms/client.ts) feeds it.
 *
 * Gaps:
 * - `dropped`: the server said (frame `d`) it dropped messages for this slow connection.
 * - `missed`: the sequence jumped forward. After a reconnect with the same connection
 *   id the room resumes the numbering and counts what it could not deliver while the
 *   client was away, so the jump is exactly what was missed.
 * - `reset`: the sequence went back (the room restarted or forgot this connection):
 *   an unknown number of messages may be missing; resynchronise from the source.
 *
 * @example
 * const reader = new FrameReader();
 * const { messages, gaps } = reader.read('{"v":1,"s":1,"m":[{"type":"hello"}]}');
 */
import { decodeFrame } from "./wire.ts";

export type SeqGap =
  | { kind: "dropped"; count: number; beforeSeq: number }
  | { kind: "missed"; fromSeq: number; toSeq: number; count: number }
  | { kind: "reset"; lastSeq: number; seq: number };

export interface SequencedMessage {
  seq: number;
  message: unknown;
}

export interface ReadResult {
  messages: SequencedMessage[];
  /** Gaps found before these messages. */
  gaps: SeqGap[];
}

export class FrameReader {
  /** Sequence number of the last message handed out; 0 before the first. */
  lastSeq = 0;

  /** Decode one frame (throws WireFormatError) and account for its sequence numbers. */
  read(text: string): ReadResult {
    const frame = decodeFrame(text);
    const gaps: SeqGap[] = [];
    if (frame.dropped > 0) gaps.push({ kind: "dropped", count: frame.dropped, beforeSeq: frame.seq });
    const expected = this.lastSeq + 1;
    if (this.lastSeq > 0 && frame.seq > expected) {
      gaps.push({ kind: "missed", fromSeq: expected, toSeq: frame.seq - 1, count: frame.seq - expected });
    } else if (this.lastSeq > 0 && frame.seq < expected) {
      gaps.push({ kind: "reset", lastSeq: this.lastSeq, seq: frame.seq });
    }
    const messages = frame.messages.map((message, i) => ({ seq: frame.seq + i, message }));
    this.lastSeq = frame.seq + frame.messages.length - 1;
    return { messages, gaps };
  }
}
