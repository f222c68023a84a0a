/**
 * Rooms into the metrics pipeline: a room hands out cumulative snapshots of its
 * counters (shared/rooms/room-metrics.ts); room_events wants rows per event. This
 * turns the difference between two snapshots into room events whose sums are the
 * room's own counters:
 * - one `connect` row per new connection and one `disconnect` row per closed one
 *   (the rollup counts rows), each carrying the open connections at the snapshot;
 * - `flush` rows whose frames and batch_size (messages) add up exactly to the frames
 *   and messages sent in the interval. Their number is a stratified sample of the
 *   interval's queue waits (at most `waitSamples` rows, each at one quantile of the
 *   exact per-interval histogram), so wait quantiles over rows follow the real
 *   distribution without a row per frame;
 * - one `drop` row with the messages the queues dropped.
 * Exact per-row timing inside an interval is lost (rows carry the snapshot time),
 * which the minute and hour rollups do not need.
 *
 * @example
 * const adapter = roomSnapshotAdapter();
 * for (const event of adapter.events(room.snapshot())) recordRoomEvent(sink, event);
 */
import type { RoomMetricsSink, RoomMetricsSnapshot } from "../rooms/room-metrics.ts";
import type { EventSink } from "./event-sink.ts";
import { recordRoomEvent, type RoomEvent } from "./room-events.ts";

export interface RoomDeltaOptions {
  /** Flush rows per interval at most (queue-wait resolution). Default 16. */
  waitSamples?: number;
}

const DEFAULT_WAIT_SAMPLES = 16;

type Snapshot = Pick<
  RoomMetricsSnapshot,
  "room" | "party" | "at" | "connections" | "connectionsTotal" | "messagesOut" | "framesSent" | "drops" | "queueWaitBuckets"
>;

/** A counter that went down means the room started over (evicted and rebuilt): count from zero. */
function restarted(previous: Snapshot, current: Snapshot): boolean {
  return (
    current.connectionsTotal < previous.connectionsTotal ||
    current.framesSent < previous.framesSent ||
    current.messagesOut < previous.messagesOut ||
    current.drops < previous.drops
  );
}

/** The interval's waits as [ms, count] ascending (current minus previous histogram). */
function waitDelta(previous: Snapshot | undefined, current: Snapshot): [number, number][] {
  const before = new Map(previous?.queueWaitBuckets ?? []);
  const delta: [number, number][] = [];
  for (const [ms, count] of current.queueWaitBuckets) {
    const added = count - (before.get(ms) ?? 0);
    if (added > 0) delta.push([ms, added]);
  }
  return delta;
}

/** The wait at quantile q of a histogram with `total` entries. */
function quantileOf(histogram: readonly [number, number][], total: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [ms, count] of histogram) {
    seen += count;
    if (seen >= rank) return ms;
  }
  return histogram.length === 0 ? 0 : histogram[histogram.length - 1]![0];
}

/** `total` split into `parts` integers that differ by at most one and sum to `total`. */
function apportion(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

/**
 * The room events between two snapshots of one room (previous undefined: since the
 * room started). Pure.
 */
export function roomSnapshotEvents(previous: Snapshot | undefined, current: Snapshot, options: RoomDeltaOptions = {}): RoomEvent[] {
  const base = previous !== undefined && !restarted(previous, current) ? previous : undefined;
  const { party, room, at, connections } = current;
  const events: RoomEvent[] = [];
  const connects = current.connectionsTotal - (base?.connectionsTotal ?? 0);
  const disconnects = Math.max(0, connects - (connections - (base?.connections ?? 0)));
  for (let i = 0; i < connects; i++) events.push({ kind: "connect", party, room, at, connections });

  const frames = current.framesSent - (base?.framesSent ?? 0);
  const messages = current.messagesOut - (base?.messagesOut ?? 0);
  if (frames > 0 || messages > 0) {
    const waits = waitDelta(base, current);
    const waitCount = waits.reduce((sum, [, count]) => sum + count, 0);
    const rows = Math.max(1, Math.min(waitCount, Math.max(1, options.waitSamples ?? DEFAULT_WAIT_SAMPLES)));
    for (let i = 0; i < rows; i++) {
      events.push({
        kind: "flush",
        party,
        room,
        at,
        connections,
        frames: apportion(frames, rows, i),
        batchSize: apportion(messages, rows, i),
        queueWaitMs: waitCount === 0 ? 0 : quantileOf(waits, waitCount, (i + 0.5) / rows),
      });
    }
  }

  const dropped = current.drops - (base?.drops ?? 0);
  if (dropped > 0) events.push({ kind: "drop", party, room, at, connections, dropped });
  for (let i = 0; i < disconnects; i++) events.push({ kind: "disconnect", party, room, at, connections });
  return events;
}

/** Remembers the last snapshot of one room and turns each new one into its events. */
export function roomSnapshotAdapter(options: RoomDeltaOptions = {}): { events(snapshot: Snapshot): RoomEvent[] } {
  let previous: Snapshot | undefined;
  return {
    events(snapshot) {
      const events = roomSnapshotEvents(previous, snapshot, options);
      previous = snapshot;
      return events;
    },
  };
}

/**
 * A room's metrics sink (BatchingRoom `metricsSink`) writing room_events through an
 * event sink: each snapshot's events are recorded and flushed at once (a room emits
 * every few seconds, so each emit is one small insert). A failed insert stays queued
 * in the event sink and goes out with the next emit, retried with backoff, and is
 * counted as dropped past the attempt limit.
 *
 * @example
 * new BatchingRoom({ ..., metricsSink: roomEventsSink(sink), metricsIntervalMs: 10_000 });
 */
export function roomEventsSink(sink: Pick<EventSink, "record" | "flush">, options: RoomDeltaOptions = {}): RoomMetricsSink {
  const adapter = roomSnapshotAdapter(options);
  return {
    emit(snapshot) {
      for (const event of adapter.events(snapshot)) recordRoomEvent(sink, event);
      return sink.flush();
    },
  };
}
