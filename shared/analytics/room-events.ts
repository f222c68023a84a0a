/**
 * Room events for the rooms' metrics hook (connections, frames, batch sizes, queue wait,
 * drops): the hook calls `recordRoomEvent(sink, event)` and the row lands in room_events.
 */
import type { RoomEventKind, RoomEventRow } from "./event-rows.ts";
import type { EventSink } from "./event-sink.ts";

export interface RoomEvent {
  kind: RoomEventKind;
  party: string;
  room: string;
  /** Epoch ms. */
  at: number;
  /** Connections open in the room after the event. */
  connections: number;
  /** flush: frames sent; drop: frames dropped. */
  frames?: number;
  /** flush: messages in the batch. */
  batchSize?: number;
  /** flush: how long the oldest message of the batch waited. */
  queueWaitMs?: number;
  /** drop: messages dropped (queue overflow, rate limit). */
  dropped?: number;
}

export function roomEventRow(event: RoomEvent): RoomEventRow {
  return {
    ts: event.at,
    party: event.party,
    room: event.room,
    kind: event.kind,
    connections: event.connections,
    frames: event.frames ?? 0,
    batch_size: event.batchSize ?? 0,
    queue_wait_ms: event.queueWaitMs ?? 0,
    dropped: event.dropped ?? 0,
  };
}

/**
 * @example
 * recordRoomEvent(sink, { kind: "flush", party: "main", room: "agent-42", at: Date.now(), connections: 3, frames: 3, batchSize: 10, queueWaitMs: 12 });
 */
export function recordRoomEvent(sink: Pick<EventSink, "record">, event: RoomEvent): void {
  sink.record("room_events", roomEventRow(event));
}
