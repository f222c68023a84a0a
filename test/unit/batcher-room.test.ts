import { describe, expect, it } from "vitest";
import { ManualScheduler } from "../../shared/batching/manual-scheduler.ts";
import { decodeFrame } from "../../shared/batching/wire.ts";
import { FrameReader, type SeqGap } from "../../shared/batching/wire-reader.ts";
import { ABUSE_CLOSE_CODE, BatchingRoom, ID_IN_USE_CLOSE_CODE, REPLACED_CLOSE_CODE, type ConnectRequest, type ConnectionState } from "../../shared/rooms/batching-room.ts";
import { parsePublishRequest, RoomInputError } from "../../shared/rooms/protocol.ts";
import type { RoomMetricsSnapshot } from "../../shared/rooms/room-metrics.ts";
import { applySettingsPatch, roomDefaults } from "../../shared/rooms/room-settings.ts";
import { MemoryRoomStore } from "./room-fakes.ts";

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
  socket: string;
  frames: string[];
  closed?: { code: number; reason: string };
  reader: FrameReader;
  gaps: SeqGap[];
  messages: { type: string; [k: string]: unknown }[];
  state?: ConnectionState;
}

const HISTORY = { maxMessages: 100, maxAgeMs: 60_000 };

function setup(sink?: { emit(s: RoomMetricsSnapshot): void }, store = new MemoryRoomStore()) {
  const clock = new ManualScheduler(10_000);
  let keys = 0;
  const room = new BatchingRoom({
    party: "main",
    room: "r1",
    settings: roomDefaults(ws),
    scheduler: clock,
    store,
    history: HISTORY,
    newKey: () => `key-${++keys}`,
    ...(sink ? { metricsSink: sink } : {}),
  });
  let sockets = 0;
  const join = (id: string, options: { reader?: FrameReader; claim?: ConnectRequest["claim"]; key?: string; boundToken?: boolean; acks?: boolean } = {}) => {
    const reader = options.reader ?? new FrameReader();
    const peer: Peer = { id, socket: `s${++sockets}`, frames: [], reader, gaps: [], messages: [] };
    room.connect(
      {
        id,
        socket: peer.socket,
        acks: options.acks ?? false,
        send: (frame) => {
          peer.frames.push(frame);
          const { messages, gaps } = reader.read(frame);
          peer.gaps.push(...gaps);
          peer.messages.push(...messages.map((m) => m.message as Peer["messages"][number]));
        },
        close: (code, reason) => (peer.closed = { code, reason }),
        save: (state) => (peer.state = state),
      },
      { claim: options.claim, key: options.key, boundToken: options.boundToken ?? false },
    );
    return peer;
  };
  return { clock, room, join, store };
}

const say = (data: unknown, extra: object = {}) => JSON.stringify({ type: "message", data, ...extra });
/** Messages without their history id, for comparisons. */
const plain = (messages: Peer["messages"]) => messages.map(({ id: _id, ...rest }) => rest);

describe("batching room", () => {
  it("greets each connection first, then fans a message out to the others through their queues", () => {
    const { clock, room, join } = setup();
    const a = join("a");
    const b = join("b");
    const c = join("c");
    expect(a.messages[0]).toMatchObject({ type: "hello", connectionId: "a", resumed: false, recovery: "new", resumeKey: "key-1" });
    room.receive(a, say(1));
    room.receive(a, say(2));
    clock.advance(100);
    for (const peer of [b, c]) {
      expect(peer.messages.slice(1)).toEqual([
        { type: "message", id: 1, from: "a", data: 1 },
        { type: "message", id: 2, from: "a", data: 2 },
      ]);
      expect(peer.frames).toHaveLength(2);
    }
    expect(a.messages).toHaveLength(1);
  });

  it("sends to named connections only", () => {
    const { clock, room, join } = setup();
    const a = join("a");
    const b = join("b");
    const c = join("c");
    room.receive(a, say("psst", { to: ["c"] }));
    clock.advance(100);
    expect(b.messages).toHaveLength(1);
    expect(c.messages.at(-1)).toEqual({ type: "message", id: 1, from: "a", data: "psst" });
  });

  it.each([
    ["not json", "bad_json"],
    ['{"type":"shout","data":1}', "unknown_type"],
    ['{"type":"message"}', "bad_message"],
    ['{"type":"message","data":1,"priority":12}', "bad_message"],
    ['{"type":"ack","seq":-1}', "bad_message"],
    [JSON.stringify({ type: "message", data: "x".repeat(2000) }), "too_large"],
  ])("answers %s with an error frame and leaves the others alone", (raw, code) => {
    const { clock, room, join } = setup();
    const a = join("a");
    const b = join("b");
    room.receive(a, raw);
    room.receive(a, say("fine"));
    clock.advance(100);
    expect(a.messages[1]).toMatchObject({ type: "error", code });
    expect(plain(b.messages.slice(1))).toEqual([{ type: "message", from: "a", data: "fine" }]);
    expect(room.snapshot().rejected[code]).toBe(1);
  });

  it("refuses messages past the rate with one error, then closes a client that keeps flooding", () => {
    const { room, join } = setup();
    const a = join("a");
    join("b");
    for (let i = 0; i < 5; i++) room.receive(a, say(i));
    room.receive(a, say("over"));
    room.receive(a, say("over again"));
    expect(a.messages.filter((m) => m.type === "error")).toEqual([expect.objectContaining({ code: "rate_limited" })]);
    expect(a.closed).toBeUndefined();
    for (let i = 0; i < 10; i++) room.receive(a, say(i));
    expect(a.closed).toEqual({ code: ABUSE_CLOSE_CODE, reason: "rate limit exceeded" });
    expect(room.size).toBe(1);
  });

  it("delivers a priority message at once with what was queued before it", () => {
    const { room, join } = setup();
    const a = join("a");
    const b = join("b");
    room.receive(a, say("first"));
    room.receive(a, say("urgent", { priority: 3 }));
    expect(b.frames).toHaveLength(2);
    expect(plain(decodeFrame(b.frames[1]!).messages as Peer["messages"])).toEqual([
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
    expect(a.messages.slice(1)).toEqual([{ type: "event", id: 1, name: "agent.state", data: { step: 1 } }]);
    expect(b.messages.slice(1)).toEqual([
      { type: "event", id: 1, name: "agent.state", data: { step: 1 } },
      { type: "event", id: 2, name: "agent.done", data: null },
    ]);
  });

  it("counts frames, batch sizes, queue wait and priority deliveries (hello and error frames are not priority deliveries)", () => {
    const { clock, room, join } = setup();
    const a = join("a");
    join("b");
    room.receive(a, "not json");
    room.receive(a, say(1));
    clock.advance(40);
    room.receive(a, say(2, { priority: 5 }));
    const m = room.snapshot();
    // Frames: two hellos, a's error, b's priority frame (1 and 2).
    expect(m).toMatchObject({ connections: 2, messagesIn: 3, framesSent: 4, messagesOut: 5, drops: 0, priorityDeliveries: 1 });
    expect(m.queueWaitMs).toEqual({ count: 1, p50: 40, p99: 40, max: 40 });
    expect(m.batchSizes["<=1"]).toBe(3);
    expect(m.batchSizes["<=2"]).toBe(1);
  });

  it("hands snapshots to the metrics sink when asked (the adapter's alarm)", async () => {
    const snapshots: RoomMetricsSnapshot[] = [];
    const { room, join } = setup({ emit: (s) => void snapshots.push(s) });
    const a = join("a");
    await room.emitMetrics();
    room.disconnect(a);
    await room.emitMetrics();
    expect(snapshots.map((s) => s.connections)).toEqual([1, 0]);
  });

  it("reconfigures open connections (batching off sends one frame per message)", () => {
    const { room, join } = setup();
    const a = join("a");
    const b = join("b");
    room.configure(applySettingsPatch(room.settings, { enabled: false }));
    room.receive(a, say(1));
    room.receive(a, say(2));
    expect(b.frames).toHaveLength(3);
    expect(() => applySettingsPatch(room.settings, { maxWaitMs: -1 })).toThrow(RoomInputError);
    expect(() => applySettingsPatch(room.settings, { nope: 1 })).toThrow(RoomInputError);
  });
});

describe("batching room: resume and recovery", () => {
  const event = (n: number) => ({ name: `e${n}`, data: n, priority: 0, to: undefined });

  it("replays messages still queued when the socket dropped, and those published while away, in order, once, then 'recovered'", () => {
    const { clock, room, join } = setup();
    room.configure(applySettingsPatch(room.settings, { maxWaitMs: 5000, adaptive: false, maxBatchSize: 100 }));
    const a = join("a");
    const key = a.messages[0]!.resumeKey as string;
    for (const n of [1, 2, 3]) room.publish(event(n));
    room.disconnect(a); // 1-3 were queued, never sent
    expect(room.publish(event(4))).toEqual({ delivered: 0, missed: 1 });
    room.publish(event(5));
    clock.advance(10_000);
    const again = join("a", { reader: a.reader, key });
    expect(again.messages[0]).toMatchObject({ type: "hello", resumed: true, recovery: "recovered", resumeKey: key });
    expect(again.messages.slice(1).map((m) => m.data ?? m.type)).toEqual([1, 2, 3, 4, 5, "recovered"]);
    expect(again.messages.at(-1)).toEqual({ type: "recovered", count: 5, lastId: 5 });
    expect(again.gaps).toEqual([]);
    room.publish(event(6));
    clock.advance(5000);
    expect(again.messages.at(-1)).toMatchObject({ data: 6 });
  });

  it("a claim of what the client really saw replays from there (frames lost in flight are sent again)", () => {
    const { clock, room, join } = setup();
    const a = join("a");
    for (const n of [1, 2, 3]) room.publish(event(n));
    clock.advance(100); // all three sent; the client took only the first (seq 2: hello was 1)
    room.disconnect(a);
    const again = join("a", { key: a.messages[0]!.resumeKey as string, claim: { lastSeq: 2, lastId: 1 } });
    expect(again.messages.slice(1).map((m) => m.data ?? m.type)).toEqual([2, 3, "recovered"]);
    expect(decodeFrame(again.frames[0]!).seq).toBe(3);
  });

  it("replays targeted messages only to their targets, and never a client its own messages", () => {
    const { room, join } = setup();
    const a = join("a");
    const b = join("b");
    room.disconnect(a);
    room.disconnect(b);
    const c = join("c");
    room.receive(c, say("for b", { to: ["b"] }));
    room.receive(c, say("for all"));
    room.publish({ name: "for a", data: null, priority: 0, to: ["a"] });
    const a2 = join("a", { key: a.messages[0]!.resumeKey as string });
    const b2 = join("b", { key: b.messages[0]!.resumeKey as string });
    expect(a2.messages.slice(1).map((m) => m.data ?? m.name ?? m.type)).toEqual(["for all", "for a", "recovered"]);
    expect(b2.messages.slice(1).map((m) => m.data ?? m.name ?? m.type)).toEqual(["for b", "for all", "recovered"]);
  });

  it("a reconnect while the old socket is still open takes over: the old one is closed and its late close changes nothing", () => {
    const { clock, room, join } = setup();
    const old = join("a");
    const b = join("b");
    const fresh = join("a", { key: old.messages[0]!.resumeKey as string });
    expect(old.closed).toEqual({ code: REPLACED_CLOSE_CODE, reason: "replaced by a newer connection" });
    room.disconnect(old); // the runtime reports the old socket's close afterwards
    expect(room.size).toBe(2);
    room.receive(b, say("still here?"));
    clock.advance(100);
    expect(fresh.messages.at(-1)).toMatchObject({ type: "message", data: "still here?" });
    expect(room.snapshot().connections).toBe(2);
  });

  it("refuses an open connection's id without its resume key, and resets a closed one's (never its messages)", () => {
    const { room, join } = setup();
    const a = join("a");
    room.publish({ name: "secret", data: "for a", priority: 9, to: ["a"] });
    const thief = join("a", { key: "guess", claim: { lastSeq: 0, lastId: 0 } });
    expect(thief.closed?.code).toBe(ID_IN_USE_CLOSE_CODE);
    expect(thief.messages).toEqual([expect.objectContaining({ type: "error", code: "connection_id_in_use" })]);
    expect(a.closed).toBeUndefined();
    room.disconnect(a);
    const thief2 = join("a", { key: "guess", claim: { lastSeq: 0, lastId: 0 } });
    expect(thief2.messages).toEqual([expect.objectContaining({ type: "hello", resumed: false, recovery: "reset" })]);
  });

  it("resumes a token bound to the id without a key", () => {
    const { room, join } = setup();
    const a = join("a", { boundToken: true });
    room.disconnect(a);
    room.publish(event(1));
    const again = join("a", { boundToken: true, reader: a.reader });
    expect(again.messages.map((m) => m.type)).toEqual(["hello", "event", "recovered"]);
  });

  it("resets a claim this connection never had, and a gap that left the history window", () => {
    const { clock, room, join, store } = setup();
    const a = join("a");
    room.publish(event(1));
    clock.advance(100);
    room.disconnect(a);
    const key = a.messages[0]!.resumeKey as string;
    const future = join("a", { key, claim: { lastSeq: 50, lastId: 1 }, reader: a.reader });
    expect(future.messages[0]).toMatchObject({ recovery: "reset" });
    expect(future.gaps).toEqual([{ kind: "reset", lastSeq: 2, seq: 1 }]);
    room.disconnect(future);
    const key2 = future.messages[0]!.resumeKey as string;
    for (let n = 0; n < 150; n++) room.publish(event(n));
    room.prune(); // keeps 100 of 151
    expect(store.oldestId()).toBe(52);
    const late = join("a", { key: key2 });
    expect(late.messages[0]).toMatchObject({ recovery: "reset" });
    expect(room.snapshot()).toMatchObject({ resets: 2, recoveries: 0 });
  });

  it("restores a connection after hibernation from its saved state: numbering and inbound budget carry on", () => {
    const store = new MemoryRoomStore();
    const first = setup(undefined, store);
    const a = first.join("a");
    const b = first.join("b");
    for (let i = 0; i < 5; i++) first.room.receive(a, say(i)); // a spends its burst of 5
    first.clock.advance(100);
    const saved = { a: a.state!, b: b.state! };
    // A new object (hibernation dropped the old one); the sockets are still open.
    const second = setup(undefined, store);
    const restore = (peer: Peer, state: ConnectionState) =>
      second.room.restore(
        { id: peer.id, socket: state.socket, acks: false, send: (f) => peer.frames.push(f), close: () => undefined, save: (s) => (peer.state = s) },
        state,
      );
    restore(a, saved.a);
    restore(b, saved.b);
    const sentToA = a.frames.length;
    second.room.receive(a, say("over the budget"));
    second.room.publish(event(99));
    second.clock.advance(100);
    const last = decodeFrame(b.frames.at(-1)!);
    expect(last.seq).toBe(7); // hello, five messages, then this event
    expect(last.messages).toEqual([expect.objectContaining({ type: "event", id: 6, data: 99 })]);
    expect(decodeFrame(a.frames[sentToA]!)).toMatchObject({ seq: 2, messages: [expect.objectContaining({ type: "error", code: "rate_limited" })] });
  });

  it("sheds a slow reader by what it has not acknowledged: its queue stays bounded and drops are announced", () => {
    const { clock, room, join } = setup();
    room.configure(applySettingsPatch(room.settings, { queueLimit: 5, highWaterBytes: 1000 }));
    const slow = join("slow", { acks: true });
    const fast = join("fast", { acks: true });
    const big = "x".repeat(600);
    for (let n = 0; n < 30; n++) {
      room.publish({ name: "big", data: big, priority: 0, to: undefined });
      clock.advance(100);
      room.receive(fast, JSON.stringify({ type: "ack", seq: fast.reader.lastSeq }));
    }
    expect(fast.messages.filter((m) => m.type === "event")).toHaveLength(30);
    expect(room.snapshot().drops).toBeGreaterThan(20);
    room.receive(slow, JSON.stringify({ type: "ack", seq: slow.reader.lastSeq }));
    clock.advance(200);
    expect(slow.gaps).toEqual([expect.objectContaining({ kind: "dropped" })]);
  });
});

describe("room config", () => {
  it("reads the websocket section and the room secret without the Worker's settings", async () => {
    const { loadRoomConfig, ConfigError } = await import("../../shared/config.ts");
    const config = loadRoomConfig({ WS_MAX_WAIT_MS: "50", ROOM_TOKEN_SECRET: "a-local-secret-of-length" });
    expect(config.websocket).toMatchObject({ maxWaitMs: 50, maxBatchSize: 10, priorityThreshold: 3, adaptiveMinBatch: 2, adaptiveMaxBatch: 50 });
    expect(config.rooms).toEqual({
      tokenSecret: "a-local-secret-of-length",
      tokenTtlSeconds: 300,
      metricsIntervalMs: 1000,
      publishTimeoutMs: 2000,
      history: { maxMessages: 10_000, maxAgeMs: 300_000 },
    });
    expect(loadRoomConfig({}).rooms.tokenSecret).toBeUndefined();
    expect(() => loadRoomConfig({ ROOM_TOKEN_SECRET: "short" })).toThrow(ConfigError);
    expect(() => loadRoomConfig({ WS_ADAPTIVE_MIN_BATCH: "60" })).toThrow(/WS_ADAPTIVE_MIN_BATCH/);
    expect(roomDefaults(config.websocket)).toMatchObject({ enabled: true, adaptive: true, maxWaitMs: 50 });
  });
});
