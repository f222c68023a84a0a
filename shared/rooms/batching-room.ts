/**
 * A room's logic, free of PartyKit: connections each get a MessageBatcher; a client's
 * message fans out to the others (or to named connections) through their queues; a
 * publisher's event does the same; bad input gets an error message back (or, for a
 * flood, the connection is closed with 1008) and touches nobody else.
 *
 * Resume: when a connection closes, its next sequence number is kept for
 * `resumeWindowMs`, and every message it would have received meanwhile advances it.
 * The same connection id coming back continues from there, so its client sees exactly
 * how many messages it missed (wire-reader.ts `missed` gap).
 *
 * rooms/main.ts adapts PartyKit's events to this class.
 *
 * @example
 * const room = new BatchingRoom({ party: "main", room: "agent-42", settings, scheduler: systemScheduler });
 * room.connect({ id, send: (f) => ws.send(f), close: (c, r) => ws.close(c, r) });
 * room.receive(id, '{"type":"message","data":{"step":3}}');
 */
import { MessageBatcher } from "../batching/message-batcher.ts";
import type { Scheduler } from "../batching/message-batcher-types.ts";
import { InboundLimiter } from "./inbound-limiter.ts";
import { errorMessage, parseClientMessage, RoomInputError, type PublishRequest } from "./protocol.ts";
import { RoomMetrics, type RoomMetricsSink, type RoomMetricsSnapshot } from "./room-metrics.ts";
import type { RoomSettings } from "./room-settings.ts";

/** Close code for a client that keeps flooding past its rate (policy violation). */
export const ABUSE_CLOSE_CODE = 1008;

export interface RoomConnection {
  readonly id: string;
  send(frame: string): void;
  close(code: number, reason: string): void;
  bufferedAmount?(): number;
}

export interface BatchingRoomOptions {
  party: string;
  room: string;
  settings: RoomSettings;
  scheduler: Scheduler;
  /** Receives a snapshot every `metricsIntervalMs` while the room has connections, and when the last one leaves. */
  metricsSink?: RoomMetricsSink;
  metricsIntervalMs?: number;
  resumeWindowMs?: number;
  /** Bound on remembered closed connections. */
  maxDetached?: number;
}

interface Member {
  connection: RoomConnection;
  batcher: MessageBatcher;
  limiter: InboundLimiter;
}

interface Detached {
  nextSeq: number;
  leftAt: number;
}

/** Control messages (hello, errors) leave at once, ahead of nothing: above every priority. */
const CONTROL = Number.POSITIVE_INFINITY;

export class BatchingRoom {
  readonly metrics = new RoomMetrics();
  private readonly members = new Map<string, Member>();
  private readonly detached = new Map<string, Detached>();
  private settingsNow: RoomSettings;
  private cancelMetricsTimer: (() => void) | undefined;

  constructor(private readonly options: BatchingRoomOptions) {
    this.settingsNow = options.settings;
  }

  get settings(): RoomSettings {
    return this.settingsNow;
  }

  get size(): number {
    return this.members.size;
  }

  connect(connection: RoomConnection): void {
    const { scheduler } = this.options;
    this.members.get(connection.id)?.batcher.close();
    this.pruneDetached();
    const resumed = this.detached.get(connection.id);
    this.detached.delete(connection.id);
    const batcher = new MessageBatcher(
      { send: (frame) => connection.send(frame), bufferedAmount: connection.bufferedAmount?.bind(connection) },
      this.settingsNow,
      scheduler,
      { onFlush: (record) => this.metrics.recordFlush(record), onDrop: () => this.metrics.recordDrop() },
      resumed?.nextSeq ?? 1,
    );
    const limiter = new InboundLimiter({ ratePerSecond: this.settingsNow.inboundRatePerSecond, burst: this.settingsNow.inboundBurst }, scheduler.now());
    this.members.set(connection.id, { connection, batcher, limiter });
    this.metrics.connections = this.members.size;
    this.metrics.connectionsTotal += 1;
    const { party, room } = this.options;
    const { enabled, maxWaitMs, priorityThreshold } = this.settingsNow;
    batcher.enqueue(
      JSON.stringify({ type: "hello", connectionId: connection.id, room, party, resumed: resumed !== undefined, settings: { enabled, maxWaitMs, priorityThreshold } }),
      CONTROL,
    );
    this.armMetrics();
  }

  disconnect(id: string): void {
    const member = this.members.get(id);
    if (member === undefined) return;
    member.batcher.close();
    this.members.delete(id);
    this.metrics.connections = this.members.size;
    this.pruneDetached();
    if (this.detached.size >= (this.options.maxDetached ?? 1000)) {
      const oldest = this.detached.keys().next().value;
      if (oldest !== undefined) this.detached.delete(oldest);
    }
    this.detached.set(id, { nextSeq: member.batcher.nextSeq, leftAt: this.options.scheduler.now() });
    if (this.members.size === 0) this.emitMetrics();
  }

  /** One WebSocket message from connection `id`. */
  receive(id: string, raw: string | ArrayBuffer | ArrayBufferView): void {
    const member = this.members.get(id);
    if (member === undefined) return;
    this.metrics.messagesIn += 1;
    const verdict = member.limiter.take(this.options.scheduler.now());
    if (verdict === "abuse") {
      this.metrics.recordRejected("abuse");
      member.connection.close(ABUSE_CLOSE_CODE, "rate limit exceeded");
      this.disconnect(id);
      return;
    }
    if (verdict === "reject") {
      this.metrics.recordRejected("rate_limited");
      if (!member.limiter.limited) {
        member.limiter.limited = true;
        member.batcher.enqueue(errorMessage("rate_limited", `more than ${this.settingsNow.inboundRatePerSecond} messages per second`), CONTROL);
      }
      return;
    }
    try {
      const message = parseClientMessage(raw, this.settingsNow.maxMessageBytes);
      const out = { type: "message", from: id, data: message.data, ...(message.priority > 0 ? { priority: message.priority } : {}) };
      this.deliver(JSON.stringify(out), message.priority, message.to, id);
    } catch (error) {
      if (!(error instanceof RoomInputError)) throw error;
      this.metrics.recordRejected(error.code);
      member.batcher.enqueue(errorMessage(error.code, error.message), CONTROL);
    }
  }

  /** A server event (validated by parsePublishRequest) to everyone or to named connections. */
  publish(request: PublishRequest): { delivered: number; missed: number } {
    this.metrics.publishes += 1;
    const body = JSON.stringify({ type: "event", name: request.name, data: request.data });
    return this.deliver(body, request.priority, request.to, undefined);
  }

  /** New settings for the room and every open connection. */
  configure(settings: RoomSettings): void {
    this.settingsNow = settings;
    for (const member of this.members.values()) member.batcher.configure(settings);
  }

  snapshot(): RoomMetricsSnapshot {
    return this.metrics.snapshot(this.options.room, this.options.party, Date.now());
  }

  private deliver(body: string, priority: number, to: readonly string[] | undefined, sender: string | undefined): { delivered: number; missed: number } {
    let delivered = 0;
    let missed = 0;
    const recipients: Iterable<string> = to === undefined ? this.members.keys() : new Set(to);
    for (const id of recipients) {
      if (id === sender) continue;
      const member = this.members.get(id);
      if (member === undefined) continue;
      member.batcher.enqueue(body, priority);
      delivered += 1;
    }
    for (const [id, away] of this.detached) {
      if (id === sender || (to !== undefined && !to.includes(id))) continue;
      away.nextSeq += 1;
      missed += 1;
    }
    return { delivered, missed };
  }

  private pruneDetached(): void {
    const horizon = this.options.scheduler.now() - (this.options.resumeWindowMs ?? 5 * 60_000);
    for (const [id, away] of this.detached) {
      if (away.leftAt >= horizon) break; // insertion order is leave order
      this.detached.delete(id);
    }
  }

  private armMetrics(): void {
    const sink = this.options.metricsSink;
    if (sink === undefined || this.cancelMetricsTimer !== undefined) return;
    this.cancelMetricsTimer = this.options.scheduler.setTimer(this.options.metricsIntervalMs ?? 10_000, () => {
      this.cancelMetricsTimer = undefined;
      this.emitMetrics();
      if (this.members.size > 0) this.armMetrics();
    });
  }

  private emitMetrics(): void {
    const sink = this.options.metricsSink;
    if (sink === undefined) return;
    // The sink is the pipeline's problem: a failing emit must not break the room.
    Promise.resolve()
      .then(() => sink.emit(this.snapshot()))
      .catch(() => undefined);
  }
}
