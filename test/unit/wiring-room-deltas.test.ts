import { describe, expect, it } from "vitest";
import type { RoomEventRow } from "../../shared/analytics/event-rows.ts";
import { roomEventsSink, roomSnapshotAdapter, roomSnapshotEvents } from "../../shared/analytics/room-snapshot-deltas.ts";
import { ManualScheduler } from "../../shared/batching/manual-scheduler.ts";
import { BatchingRoom } from "../../shared/rooms/batching-room.ts";
import { MemoryRoomStore } from "./room-fakes.ts";
import type { RoomMetricsSnapshot } from "../../shared/rooms/room-metrics.ts";
import { roomDefaults } from "../../shared/rooms/room-settings.ts";

const ws = {
  maxBatchSize: 10,
  maxWaitMs: 100,
  priorityThreshold: 3,
  adaptiveMinBatch: 2,
  adaptiveMaxBatch: 50,
  maxBatchBytes: 65536,
  queueLimit: 5,
  maxMessageBytes: 1024,
  inboundRatePerSecond: 1000,
  inboundBurst: 1000,
};

function snap(over: Partial<RoomMetricsSnapshot> = {}): RoomMetricsSnapshot {
  return {
    room: "r",
    party: "main",
    at: 1_000,
    connections: 0,
    connectionsTotal: 0,
    messagesIn: 0,
    messagesOut: 0,
    framesSent: 0,
    bytesSent: 0,
    batchSizes: {},
    queueWaitMs: { count: 0, p50: 0, p99: 0, max: 0 },
    queueWaitBuckets: [],
    drops: 0,
    priorityDeliveries: 0,
    publishes: 0,
    recoveries: 0,
    replayed: 0,
    resets: 0,
    rejected: {},
    ...over,
  };
}

const sum = (rows: { frames?: number; batchSize?: number; dropped?: number }[], key: "frames" | "batchSize" | "dropped") =>
  rows.reduce((total, row) => total + (row[key] ?? 0), 0);

describe("room snapshot -> room_events deltas", () => {
  it("turns the first snapshot into events that sum to its counters", () => {
    const events = roomSnapshotEvents(undefined, snap({ connections: 2, connectionsTotal: 3, framesSent: 7, messagesOut: 40, drops: 4, queueWaitBuckets: [[0, 10], [50, 30]] }));
    expect(events.filter((e) => e.kind === "connect")).toHaveLength(3);
    expect(events.filter((e) => e.kind === "disconnect")).toHaveLength(1);
    const flushes = events.filter((e) => e.kind === "flush");
    expect(sum(flushes, "frames")).toBe(7);
    expect(sum(flushes, "batchSize")).toBe(40);
    expect(sum(events, "dropped")).toBe(4);
    expect(events.every((e) => e.connections === 2 && e.at === 1_000 && e.room === "r")).toBe(true);
  });

  it("samples the interval's queue waits: a quarter at 0 ms, three quarters at 50 ms", () => {
    const flushes = roomSnapshotEvents(undefined, snap({ framesSent: 8, messagesOut: 40, queueWaitBuckets: [[0, 10], [50, 30]] }), { waitSamples: 8 }).filter((e) => e.kind === "flush");
    expect(flushes.map((e) => e.queueWaitMs)).toEqual([0, 0, 50, 50, 50, 50, 50, 50]);
    expect(flushes.map((e) => e.frames)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("emits only what changed since the previous snapshot, waits included", () => {
    const before = snap({ connections: 2, connectionsTotal: 2, framesSent: 5, messagesOut: 20, queueWaitBuckets: [[3, 20]] });
    const after = snap({ at: 2_000, connections: 1, connectionsTotal: 3, framesSent: 9, messagesOut: 26, drops: 1, queueWaitBuckets: [[3, 20], [90, 6]] });
    const events = roomSnapshotEvents(before, after);
    expect(events.filter((e) => e.kind === "connect")).toHaveLength(1);
    expect(events.filter((e) => e.kind === "disconnect")).toHaveLength(2);
    const flushes = events.filter((e) => e.kind === "flush");
    expect(flushes).toHaveLength(6);
    expect(sum(flushes, "frames")).toBe(4);
    expect(sum(flushes, "batchSize")).toBe(6);
    expect(new Set(flushes.map((e) => e.queueWaitMs))).toEqual(new Set([90]));
    expect(sum(events, "dropped")).toBe(1);
  });

  it("emits nothing for a quiet interval", () => {
    const s = snap({ connections: 1, connectionsTotal: 1, framesSent: 3, messagesOut: 3, queueWaitBuckets: [[1, 3]] });
    expect(roomSnapshotEvents(s, { ...s, at: 5_000 })).toEqual([]);
  });

  it("counts from zero when the room started over (counters went down)", () => {
    const old = snap({ connectionsTotal: 10, framesSent: 100, messagesOut: 100 });
    const fresh = snap({ connections: 1, connectionsTotal: 1, framesSent: 2, messagesOut: 2, queueWaitBuckets: [[0, 2]] });
    const events = roomSnapshotEvents(old, fresh);
    expect(events.filter((e) => e.kind === "connect")).toHaveLength(1);
    expect(sum(events.filter((e) => e.kind === "flush"), "frames")).toBe(2);
  });

  it("caps flush rows per interval at waitSamples and still sums exactly", () => {
    const events = roomSnapshotEvents(undefined, snap({ framesSent: 1001, messagesOut: 5003, queueWaitBuckets: [[1, 5000], [2, 3]] }), { waitSamples: 16 });
    expect(events).toHaveLength(16);
    expect(sum(events, "frames")).toBe(1001);
    expect(sum(events, "batchSize")).toBe(5003);
  });

  it("rows recorded from a real BatchingRoom's emits sum to the room's own counters", async () => {
    const rows: RoomEventRow[] = [];
    let flushes = 0;
    const sink = roomEventsSink({
      record: (_table, row) => rows.push(row as RoomEventRow),
      flush: async () => {
        flushes += 1;
      },
    });
    const clock = new ManualScheduler(50_000);
    const room = new BatchingRoom({
      party: "main",
      room: "wired",
      settings: roomDefaults(ws),
      scheduler: clock,
      store: new MemoryRoomStore(),
      history: { maxMessages: 100, maxAgeMs: 60_000 },
      newKey: () => "k",
      metricsSink: sink,
    });
    const peers = ["a", "b", "c"].map((id) => ({ id, socket: id, acks: false, send: () => undefined, close: () => undefined, save: () => undefined }));
    for (const peer of peers) room.connect(peer, { claim: undefined, key: undefined, boundToken: false });
    for (let i = 0; i < 30; i++) {
      room.receive(peers[i % 3]!, JSON.stringify({ type: "message", data: { i } }));
      clock.advance(40);
      if (i % 10 === 9) await room.emitMetrics();
    }
    room.publish({ name: "tick", data: {}, priority: 0, to: undefined });
    clock.advance(1000);
    for (const peer of peers) room.disconnect(peer);
    await room.emitMetrics();
    const counters = room.snapshot();
    expect(flushes).toBeGreaterThanOrEqual(2);
    expect(rows.filter((r) => r.kind === "connect")).toHaveLength(counters.connectionsTotal);
    expect(rows.filter((r) => r.kind === "disconnect")).toHaveLength(3);
    expect(rows.filter((r) => r.kind === "flush").reduce((s, r) => s + r.frames, 0)).toBe(counters.framesSent);
    expect(rows.filter((r) => r.kind === "flush").reduce((s, r) => s + r.batch_size, 0)).toBe(counters.messagesOut);
    expect(rows.reduce((s, r) => s + r.dropped, 0)).toBe(counters.drops);
  });

  it("the adapter remembers the previous snapshot", () => {
    const adapter = roomSnapshotAdapter();
    expect(adapter.events(snap({ connections: 1, connectionsTotal: 1 }))).toHaveLength(1);
    expect(adapter.events(snap({ connections: 1, connectionsTotal: 1 }))).toHaveLength(0);
    expect(adapter.events(snap({ connections: 0, connectionsTotal: 1 })).map((e) => e.kind)).toEqual(["disconnect"]);
  });
});
