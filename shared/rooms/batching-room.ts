/**
 * A room's logic, free of any runtime: connections each get a MessageBatcher; a
 * client's message fans out to the others (or to named connections) through their
 * queues; a publisher's event does the same; bad input gets an error message back
 * (or, for a flood, the connection is closed with 1008) and touches nobody else.
 *
 * Every message a client or publisher sends is first appended to the room's history
 * (RoomStore) with a room-wide `id`, which the message carries. A connection that
 * comes back with its id resumes (resume.ts): it gets every visible message it
 * missed, queued-but-unsent ones included, in order and once, then a `recovered`
 * marker, before anything new.
 *
 * Hibernation: the runtime may drop this object between events. Everything a
 * connection needs afterwards is in its ConnectionState, which the room hands to
 * `connection.save` whenever it changes (after each frame, each inbound message);
 * the adapter passes it back through `restore`. Queues are only ever non-empty while
 * their flush timer is armed, and a runtime does not hibernate with a timer pending.
 *
 * rooms/main-room.ts adapts PartyServer's events to this class.
 *
 * @example
 * const room = new BatchingRoom({ party: "main", room: "agent-42", settings, scheduler: systemScheduler, store, history, newKey });
 * room.connect(connection, { claim: undefined, key: undefined, boundToken: false });
 * room.receive(connection, '{"type":"message","data":{"step":3}}');
 */
import { MessageBatcher } from "../batching/message-batcher.ts";
import type { Scheduler } from "../batching/message-batcher-types.ts";
import { encodeFrame } from "../batching/wire.ts";
import { FlowWindow } from "./flow-window.ts";
import { InboundLimiter, type InboundLimiterState } from "./inbound-limiter.ts";
import { errorMessage, parseClientMessage, RoomInputError, type PublishRequest } from "./protocol.ts";
import { decideResume, type ResumeClaim } from "./resume.ts";
import { RoomMetrics, type RoomMetricsSink, type RoomMetricsSnapshot } from "./room-metrics.ts";
import { visibleTo, type RoomStore } from "./room-store.ts";
import type { RoomSettings } from "./room-settings.ts";

/** Close code for a client that keeps flooding past its rate (policy violation). */
export const ABUSE_CLOSE_CODE = 1008;
/** Close code for a connection whose id is already open and who cannot prove it is the same client. */
export const ID_IN_USE_CLOSE_CODE = 4409;
/** Close code sent to the older socket when its client reconnected on a new one. */
export const REPLACED_CLOSE_CODE = 4001;

/** What a connection needs after a hibernation; saved by the adapter (PartyServer: `conn.setState`). */
export interface ConnectionState {
  v: 1;
  /** Tells this socket from a newer one with the same connection id. */
  socket: string;
  acks: boolean;
  nextSeq: number;
  /** Last history id sent. */
  sentId: number;
  inbound: InboundLimiterState;
}

export interface RoomConnection {
  readonly id: string;
  /** Unique per socket (the adapter makes one at connect and keeps it in the state). */
  readonly socket: string;
  /** The client acknowledges what it takes (`?ack=1`): the room's backpressure signal (flow-window.ts). */
  readonly acks: boolean;
  send(frame: string): void;
  close(code: number, reason: string): void;
  save(state: ConnectionState): void;
}

export interface ConnectRequest {
  claim: ResumeClaim | undefined;
  key: string | undefined;
  /** The token names this connection id. */
  boundToken: boolean;
}

export interface HistoryLimits {
  maxMessages: number;
  maxAgeMs: number;
}

export interface BatchingRoomOptions {
  party: string;
  room: string;
  settings: RoomSettings;
  scheduler: Scheduler;
  store: RoomStore;
  history: HistoryLimits;
  /** A fresh, unguessable resume key. */
  newKey(): string;
  metricsSink?: RoomMetricsSink;
}

interface Member {
  connection: RoomConnection;
  batcher: MessageBatcher;
  limiter: InboundLimiter;
  flow: FlowWindow | undefined;
}

export class BatchingRoom {
  readonly metrics = new RoomMetrics();
  private readonly members = new Map<string, Member>();
  private settingsNow: RoomSettings;

  constructor(private readonly options: BatchingRoomOptions) {
    this.settingsNow = options.settings;
  }

  get settings(): RoomSettings {
    return this.settingsNow;
  }

  get size(): number {
    return this.members.size;
  }

  /** A new socket: greet it, resuming its id where the room can (resume.ts). */
  connect(connection: RoomConnection, request: ConnectRequest): void {
    const { store } = this.options;
    const existing = this.members.get(connection.id);
    const record = store.record(connection.id);
    const decision = decideResume({
      record,
      live: existing && { nextSeq: existing.batcher.nextSeq, sentId: existing.batcher.lastSentRef },
      claim: request.claim,
      key: request.key,
      boundToken: request.boundToken,
      oldestId: store.oldestId(),
      nextId: store.nextId(),
    });
    if (decision.kind === "refuse") {
      this.metrics.recordRejected("connection_id_in_use");
      connection.send(encodeFrame(1, [errorMessage("connection_id_in_use", decision.reason)]));
      connection.close(ID_IN_USE_CLOSE_CODE, decision.reason);
      return;
    }
    if (existing !== undefined) {
      // The same client on a new socket (a network change): the old one goes quietly; its queue is in the history.
      existing.batcher.close();
      this.members.delete(connection.id);
      existing.connection.close(REPLACED_CLOSE_CODE, "replaced by a newer connection");
    }
    const resumed = decision.kind === "resume";
    const nextId = store.nextId();
    const key = resumed && record !== undefined ? record.key : this.options.newKey();
    const firstSeq = resumed ? decision.nextSeq : 1;
    const afterId = resumed ? decision.afterId : nextId - 1;
    const member = this.admit(connection, firstSeq, afterId, undefined);
    store.saveRecord({ id: connection.id, key, firstId: resumed && record ? record.firstId : nextId, nextSeq: firstSeq, sentId: afterId, leftAt: null });
    const { party, room } = this.options;
    const { enabled, maxWaitMs, priorityThreshold } = this.settingsNow;
    const recovery = resumed ? "recovered" : decision.kind === "reset" ? "reset" : "new";
    member.batcher.sendControl(
      JSON.stringify({ type: "hello", connectionId: connection.id, room, party, resumed, recovery, resumeKey: key, settings: { enabled, maxWaitMs, priorityThreshold } }),
    );
    if (resumed) {
      const missed = store.since(afterId).filter((entry) => visibleTo(entry, connection.id));
      member.batcher.replay(missed.map((e) => e.body), missed.map((e) => e.id));
      this.metrics.recoveries += 1;
      this.metrics.replayed += missed.length;
      member.batcher.sendControl(JSON.stringify({ type: "recovered", count: missed.length, lastId: member.batcher.lastSentRef }));
    } else if (decision.kind === "reset") {
      this.metrics.resets += 1;
    }
    this.save(member);
  }

  /** A socket that was open before the object hibernated: back into the room, silently. */
  restore(connection: RoomConnection, state: ConnectionState): void {
    this.admit(connection, state.nextSeq, state.sentId, state.inbound);
  }

  /** A socket closed. Only the socket that holds the id leaves: a replaced one closing later changes nothing. */
  disconnect(connection: Pick<RoomConnection, "id" | "socket">): void {
    const member = this.members.get(connection.id);
    if (member === undefined || member.connection.socket !== connection.socket) return;
    member.batcher.close();
    this.members.delete(connection.id);
    this.metrics.connections = this.members.size;
    const record = this.options.store.record(connection.id);
    if (record !== undefined) {
      this.options.store.saveRecord({ ...record, nextSeq: member.batcher.nextSeq, sentId: member.batcher.lastSentRef, leftAt: this.options.scheduler.now() });
    }
  }

  /** One WebSocket message from `connection`. */
  receive(connection: Pick<RoomConnection, "id" | "socket">, raw: string | ArrayBuffer | ArrayBufferView): void {
    const member = this.members.get(connection.id);
    if (member === undefined || member.connection.socket !== connection.socket) return;
    this.metrics.messagesIn += 1;
    const verdict = member.limiter.take(this.options.scheduler.now());
    if (verdict === "abuse") {
      this.metrics.recordRejected("abuse");
      member.connection.close(ABUSE_CLOSE_CODE, "rate limit exceeded");
      this.disconnect(member.connection);
      return;
    }
    if (verdict === "reject") {
      this.metrics.recordRejected("rate_limited");
      if (!member.limiter.limited) {
        member.limiter.limited = true;
        member.batcher.sendControl(errorMessage("rate_limited", `more than ${this.settingsNow.inboundRatePerSecond} messages per second`));
      }
      this.save(member);
      return;
    }
    try {
      const message = parseClientMessage(raw, this.settingsNow.maxMessageBytes);
      if (message.type === "ack") {
        member.flow?.ack(message.seq);
        this.save(member);
        return;
      }
      const priority = message.priority > 0 ? { priority: message.priority } : {};
      this.deliver((id) => ({ type: "message", id, from: connection.id, data: message.data, ...priority }), message.priority, message.to, connection.id);
    } catch (error) {
      if (!(error instanceof RoomInputError)) throw error;
      this.metrics.recordRejected(error.code);
      member.batcher.sendControl(errorMessage(error.code, error.message));
    }
    this.save(member);
  }

  /**
   * A server event (validated by parsePublishRequest) to everyone or to named
   * connections. `missed`: connections away within the history window, which get it
   * when they resume.
   */
  publish(request: PublishRequest): { delivered: number; missed: number } {
    this.metrics.publishes += 1;
    const delivered = this.deliver((id) => ({ type: "event", id, name: request.name, data: request.data }), request.priority, request.to, null);
    const missed = this.options.store.countLeft(this.options.scheduler.now() - this.options.history.maxAgeMs, request.to);
    return { delivered, missed };
  }

  /** New settings for the room and every open connection. */
  configure(settings: RoomSettings): void {
    this.settingsNow = settings;
    for (const member of this.members.values()) member.batcher.configure(settings);
  }

  snapshot(): RoomMetricsSnapshot {
    return this.metrics.snapshot(this.options.room, this.options.party, Date.now());
  }

  /** Periodic upkeep (the adapter's alarm): history and records past the window go. */
  prune(): void {
    const now = this.options.scheduler.now();
    const { maxMessages, maxAgeMs } = this.options.history;
    this.options.store.prune(maxMessages, now - maxAgeMs);
    this.options.store.pruneRecords(now - maxAgeMs, new Set(this.members.keys()), now);
  }

  /** Hand the counters to the metrics sink; a failing sink never breaks the room. */
  async emitMetrics(): Promise<void> {
    const sink = this.options.metricsSink;
    if (sink === undefined) return;
    try {
      await sink.emit(this.snapshot());
    } catch {
      // The pipeline counts and retries its own failures.
    }
  }

  private admit(connection: RoomConnection, firstSeq: number, sentId: number, inbound: InboundLimiterState | undefined): Member {
    const { scheduler } = this.options;
    const flow = connection.acks ? new FlowWindow() : undefined;
    const member: Member = {
      connection,
      flow,
      batcher: new MessageBatcher(
        { send: (frame) => connection.send(frame), ...(flow ? { bufferedAmount: () => flow.unacked } : {}) },
        this.settingsNow,
        scheduler,
        {
          onFlush: (record) => {
            this.metrics.recordFlush(record);
            flow?.sent(member.batcher.nextSeq - 1, record.frameBytes);
            this.save(member);
          },
          onDrop: () => this.metrics.recordDrop(),
        },
        firstSeq,
        sentId,
      ),
      limiter: new InboundLimiter({ ratePerSecond: this.settingsNow.inboundRatePerSecond, burst: this.settingsNow.inboundBurst }, scheduler.now(), inbound),
    };
    this.members.set(connection.id, member);
    this.metrics.connections = this.members.size;
    if (inbound === undefined) this.metrics.connectionsTotal += 1;
    return member;
  }

  private save(member: Member): void {
    if (this.members.get(member.connection.id) !== member) return;
    member.connection.save({
      v: 1,
      socket: member.connection.socket,
      acks: member.connection.acks,
      nextSeq: member.batcher.nextSeq,
      sentId: member.batcher.lastSentRef,
      inbound: member.limiter.state(),
    });
  }

  /** Append to the history, then queue for every open recipient; returns how many were queued. */
  private deliver(message: (id: number) => object, priority: number, to: readonly string[] | undefined, sender: string | null): number {
    const { store } = this.options;
    const id = store.nextId();
    const body = JSON.stringify(message(id));
    store.append({ id, at: this.options.scheduler.now(), sender, to: to ?? null, body });
    let delivered = 0;
    const recipients: Iterable<string> = to === undefined ? this.members.keys() : new Set(to);
    for (const recipient of recipients) {
      if (recipient === sender) continue;
      const member = this.members.get(recipient);
      if (member === undefined) continue;
      member.batcher.enqueue(body, priority, id);
      delivered += 1;
    }
    return delivered;
  }
}
