import { describe, expect, it } from "vitest";
import { ManualScheduler } from "../../shared/batching/manual-scheduler.ts";
import { decodeFrame } from "../../shared/batching/wire.ts";
import { FrameReader, type SeqGap } from "../../shared/batching/wire-reader.ts";
import { ABUSE_CLOSE_CODE, BatchingRoom } from "../../shared/rooms/batching-room.ts";
import { parsePublishRequest, RoomInputError } from "../../shared/rooms/protocol.ts";
import type { RoomMetricsSnapshot } from "../../shared/rooms/room-metrics.ts";
import { applySettingsPatch, roomDefaults } from "../../shared/rooms/room-settings.ts";

const ws = {
  maxBatchSize: 10,
  maxWaitMs: 100,
  priorityThreshold: 3,
  adaptiveMinBatch: 2,
  adaptiveMaxBatch: 50,
  maxBatchBytes: 65536,
  queueLimit: 1000,
  maxMessageBytes: 1024,
  inboundRatePerSecond: 10,
  inboundBurst: 5,
};

interface Peer {
  id: string;
  frames: string[];
  closed?: { code: number; reason: string };
  reader: FrameReader;
  gaps: SeqGap[];
  messages: { type: string; [k: string]: unknown }[];
}

function setup(sink?: { emit(s: RoomMetricsSnapshot): void }) {
  const clock = new ManualScheduler(10_000);
  const room = new BatchingRoom({ party: "main", room: "r1", settings: roomDefaults(ws), scheduler: clock, ...(sink ? { metricsSink: sink, metricsIntervalMs: 1000 } : {}) });
  const peers = new Map<string, Peer>();
  const join = (id: string, reader = new FrameReader()) => {
    const peer: Peer = { id, frames: [], reader, gaps: [], messages: [] };
    peers.set(id, peer);
    room.connect({
      id,
      send: (frame) => {
        peer.frames.push(frame);
        const { messages, gaps } = reader.read(frame);
        peer.gaps.push(...gaps);
        peer.messages.push(...messages.map((m) => m.message as Peer["messages"][number]));
      },
      close: (code, reason) => (peer.closed = { code, reason }),
    });
    return peer;
  };
  return { clock, room, join, peers };
}

const say = (data: unknown, extra: object = {}) => JSON.stringify({ type: "message", data, ...extra });

describe("batching room", () => {
  it("greets each connection first, then fans a message out to the others through their queues", () => {
    const { clock, room, join } = setup();
    const a = join("a");
    const b = join("b");
    const c = join("c");
    expect(a.messages[0]).toMatchObject({ type: "hello", connectionId: "a", resumed: false });
    room.receive("a", say(1));
    room.receive("a", say(2));
    clock.advance(100);
    for (const peer of [b, c]) {
      expect(peer.messages.slice(1)).toEqual([
        { type: "message", from: "a", data: 1 },
        { type: "message", from: "a", data: 2 },
      ]);
      expect(peer.frames).toHaveLength(2);
    }
    expect(a.messages).toHaveLength(1);
  });

  it("sends to named connections only", () => {
    const { clock, room, join } = setup();
    join("a");
    const b = join("b");
    const c = join("c");
    room.receive("a", say("psst", { to: ["c"] }));
    clock.advance(100);
    expect(b.messages).toHaveLength(1);
    expect(c.messages.at(-1)).toEqual({ type: "message", from: "a", data: "psst" });
  });

  it.each([
    ["not json", "bad_json"],
    ['{"type":"shout","data":1}', "unknown_type"],
    ['{"type":"message"}', "bad_message"],
    ['{"type":"message","data":1,"priority":12}', "bad_message"],
    [JSON.stringify({ type: "message", data: "x".repeat(2000) }), "too_large"],
  ])("answers %s with an error frame and leaves the others alone", (raw, code) => {
    const { clock, room, join } = setup();
    const a = join("a");
    const b = join("b");
    room.receive("a", raw);
    room.receive("a", say("fine"));
    clock.advance(100);
    expect(a.messages[1]).toMatchObject({ type: "error", code });
    expect(b.messages.slice(1)).toEqual([{ type: "message", from: "a", data: "fine" }]);
    expect(room.snapshot().rejected[code]).toBe(1);
  });

  it("refuses messages past the rate with one error, then closes a client that keeps flooding", () => {
    const { room, join } = setup();
    const a = join("a");
    join("b");
    for (let i = 0; i < 5; i++) room.receive("a", say(i));
    room.receive("a", say("over"));
    room.receive("a", say("over again"));
    expect(a.messages.filter((m) => m.type === "error")).toEqual([expect.objectContaining({ code: "rate_limited" })]);
    expect(a.closed).toBeUndefined();
    for (let i = 0; i < 10; i++) room.receive("a", say(i));
    expect(a.closed).toEqual({ code: ABUSE_CLOSE_CODE, reason: "rate limit exceeded" });
    expect(room.size).toBe(1);
  });

  it("delivers a priority message at once with what was queued before it", () => {
    const { room, join } = setup();
    join("a");
    const b = join("b");
    room.receive("a", say("first"));
    room.receive("a", say("urgent", { priority: 3 }));
    expect(b.frames).toHaveLength(2);
    expect(decodeFrame(b.frames[1]!).messages).toEqual([
      { type: "message", from: "a", data: "first" },
      { type: "message", from: "a", data: "urgent", priority: 3 },
    ]);
  });

  it("publishes server events to everyone or to named connections", () => {
    const { clock, room, join } = setup();
    const a = join("a");
    const b = join("b");
    expect(room.publish(parsePublishRequest(JSON.stringify({ event: { name: "agent.state", data: { step: 1 } } })))).toEqual({ delivered: 2, missed: 0 });
    expect(room.publish(parsePublishRequest(JSON.stringify({ event: { name: "agent.done" }, to: ["b"] })))).toEqual({ delivered: 1, missed: 0 });
    clock.advance(100);
    expect(a.messages.slice(1)).toEqual([{ type: "event", name: "agent.state", data: { step: 1 } }]);
    expect(b.messages.slice(1)).toEqual([
      { type: "event", name: "agent.state", data: { step: 1 } },
      { type: "event", name: "agent.done", data: null },
    ]);
  });

  it("a reconnecting connection resumes its numbering and sees exactly what it missed as a gap", () => {
    const { clock, room, join } = setup();
    const a = join("a");
    room.publish({ name: "one", data: 1, priority: 0, to: undefined });
    clock.advance(100);
    room.disconnect("a");
    expect(room.publish({ name: "two", data: 2, priority: 0, to: undefined })).toEqual({ delivered: 0, missed: 1 });
    room.publish({ name: "three", data: 3, priority: 0, to: undefined });
    const again = join("a", a.reader);
    expect(again.messages[0]).toMatchObject({ type: "hello", resumed: true });
    expect(again.gaps).toEqual([{ kind: "missed", fromSeq: 3, toSeq: 4, count: 2 }]);
  });

  it("counts frames, batch sizes, queue wait and priority deliveries", () => {
    const { clock, room, join } = setup();
    join("a");
    join("b");
    room.receive("a", say(1));
    clock.advance(40);
    room.receive("a", say(2, { priority: 5 }));
    const m = room.snapshot();
    expect(m).toMatchObject({ connections: 2, messagesIn: 2, framesSent: 3, messagesOut: 4, drops: 0, priorityDeliveries: 3 });
    expect(m.queueWaitMs).toEqual({ count: 1, p50: 40, p99: 40, max: 40 });
    expect(m.batchSizes["<=1"]).toBe(2);
    expect(m.batchSizes["<=2"]).toBe(1);
  });

  it("emits snapshots to a metrics sink while connections are open and when the last leaves", async () => {
    const snapshots: RoomMetricsSnapshot[] = [];
    const { clock, room, join } = setup({ emit: (s) => void snapshots.push(s) });
    join("a");
    clock.advance(2500);
    room.disconnect("a");
    await new Promise((r) => setTimeout(r, 0));
    expect(snapshots.length).toBe(3);
    expect(snapshots.at(-1)!.connections).toBe(0);
  });

  it("reconfigures open connections (batching off sends one frame per message)", () => {
    const { room, join } = setup();
    join("a");
    const b = join("b");
    room.configure(applySettingsPatch(room.settings, { enabled: false }));
    room.receive("a", say(1));
    room.receive("a", say(2));
    expect(b.frames).toHaveLength(3);
    expect(() => applySettingsPatch(room.settings, { maxWaitMs: -1 })).toThrow(RoomInputError);
    expect(() => applySettingsPatch(room.settings, { nope: 1 })).toThrow(RoomInputError);
  });
});

describe("room config", () => {
  it("reads the websocket section and the room secret without the Worker's settings", async () => {
    const { loadRoomConfig, ConfigError } = await import("../../shared/config.ts");
    const config = loadRoomConfig({ WS_MAX_WAIT_MS: "50", ROOM_TOKEN_SECRET: "a-local-secret-of-length" });
    expect(config.websocket).toMatchObject({ maxWaitMs: 50, maxBatchSize: 10, priorityThreshold: 3, adaptiveMinBatch: 2, adaptiveMaxBatch: 50 });
    expect(config.rooms).toEqual({ tokenSecret: "a-local-secret-of-length", tokenTtlSeconds: 300, metricsIntervalMs: 10_000, publishTimeoutMs: 2000 });
    expect(loadRoomConfig({}).rooms.tokenSecret).toBeUndefined();
    expect(() => loadRoomConfig({ ROOM_TOKEN_SECRET: "short" })).toThrow(ConfigError);
    expect(() => loadRoomConfig({ WS_ADAPTIVE_MIN_BATCH: "60" })).toThrow(/WS_ADAPTIVE_MIN_BATCH/);
    expect(roomDefaults(config.websocket)).toMatchObject({ enabled: true, adaptive: true, maxWaitMs: 50 });
  });
});
