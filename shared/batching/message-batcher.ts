/**
 * The seed's WebSocket batch handler, for one connection: messages queue and leave in
 * frames (wire.ts) when a strategy says so:
 * - time: the oldest queued message has waited `maxWaitMs`;
 * - size: `maxBatchSize` messages (or the adaptive target) or `maxBatchBytes` are queued;
 * - priority: a message at or above `priorityThreshold` leaves at once, in one frame
 *   with everything queued before it, so the connection's order is never broken;
 * - adaptive: the size trigger follows the measured load (adaptive-batch-size.ts).
 *
 * Bounded: past `queueLimit` the lowest-priority oldest message is dropped and counted
 * (priority messages never queue, so they are never dropped); the next frame says how
 * many were dropped. A slow consumer (socket `bufferedAmount` above `highWaterBytes`)
 * has its timed flushes put off: its own queue absorbs, then drops, and the room's
 * other connections never wait for it. Sends never block the caller.
 *
 * Pure: time and timers come from the injected Scheduler, frames go to a FrameSink.
 *
 * @example
 * const batcher = new MessageBatcher({ send: (f) => ws.send(f) }, settings, systemScheduler);
 * batcher.enqueue('{"type":"event","name":"progress"}', 0);
 */
import { AdaptiveBatchSize } from "./adaptive-batch-size.ts";
import type {
  BatcherObserver,
  BatcherSettings,
  BatcherStats,
  FlushCause,
  FrameSink,
  Scheduler,
} from "./message-batcher-types.ts";
import { encodeFrame } from "./wire.ts";

interface Queued {
  body: string;
  priority: number;
  at: number;
  /** The caller's reference for this message (a room's history id); 0: none. */
  ref: number;
  /** A control message (hello, error): leaves at once, never counted as a priority delivery. */
  control?: true;
}

export class MessageBatcher {
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private droppedSinceFrame = 0;
  private cancelTimer: (() => void) | undefined;
  /** When the armed timer should run (scheduler time). */
  private timerDueAt = 0;
  /**
   * How late this connection's timers have been running (ms; the latest lateness, or
   * the earlier figure decaying by a tenth per timer): the next timer is armed that
   * much earlier. A busy isolate runs a due timer only after the work ahead of it
   * (in a room, the other connections' flushes due at the same moment), so without
   * this a message waited maxWaitMs plus that queue (124 ms p99 at maxWaitMs 100 in
   * the ws benchmark). At most half of maxWaitMs.
   */
  private timerSlack = 0;
  private adaptive: AdaptiveBatchSize;
  private closed = false;
  private seq: number;
  private sentRef = 0;
  readonly stats: BatcherStats = { enqueued: 0, framesSent: 0, messagesSent: 0, dropped: 0, priorityDeliveries: 0, deferred: 0 };

  constructor(
    private readonly sink: FrameSink,
    private settings: BatcherSettings,
    private readonly scheduler: Scheduler,
    private readonly observer: BatcherObserver = {},
    /** Sequence number of the first message; a resumed connection continues its numbering. */
    firstSeq = 1,
    /** What `lastSentRef` starts at. */
    firstRef = 0,
  ) {
    this.seq = firstSeq;
    this.sentRef = firstRef;
    this.adaptive = this.newAdaptive();
  }

  /** Sequence number the next message sent will carry. */
  get nextSeq(): number {
    return this.seq;
  }

  /** The highest `ref` sent so far (or the `firstRef` given), so a resume knows where this connection stands. */
  get lastSentRef(): number {
    return this.sentRef;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** The size trigger now: the fixed maxBatchSize, or the adaptive target. */
  batchTarget(): number {
    return this.settings.adaptive ? this.adaptive.target(this.scheduler.now()) : this.settings.maxBatchSize;
  }

  /** Change settings in place (per-room config). Queued messages stay queued under the new rules. */
  configure(settings: BatcherSettings): void {
    const adaptiveChanged =
      settings.adaptiveMin !== this.settings.adaptiveMin ||
      settings.adaptiveMax !== this.settings.adaptiveMax ||
      settings.maxWaitMs !== this.settings.maxWaitMs;
    this.settings = settings;
    if (adaptiveChanged) this.adaptive = this.newAdaptive();
    if (!settings.enabled || this.queue.length >= this.batchTarget()) this.flush("manual");
  }

  /** Queue one serialized JSON message (or send it now: priority, batching off). */
  enqueue(body: string, priority = 0, ref = 0): void {
    if (this.closed) return;
    const now = this.scheduler.now();
    this.stats.enqueued += 1;
    this.adaptive.recordArrival(now);
    const urgent = priority >= this.settings.priorityThreshold;
    if (!this.settings.enabled || urgent) {
      this.queue.push({ body, priority, at: now, ref });
      this.queuedBytes += body.length;
      this.flush(urgent ? "priority" : "unbatched");
      return;
    }
    // Byte budget: what is queued leaves before a message that would take it past the budget.
    if (this.queue.length > 0 && this.queuedBytes + body.length > this.settings.maxBatchBytes) this.flushUnlessBackedUp("bytes");
    if (this.queue.length >= this.settings.queueLimit && !this.makeRoom(priority)) return;
    this.queue.push({ body, priority, at: now, ref });
    this.queuedBytes += body.length;
    if (this.queue.length >= this.batchTarget()) this.flushUnlessBackedUp("size");
    else this.armTimer();
  }

  /**
   * A control message (hello, error, recovered): it leaves at once with everything
   * queued before it, like a priority message, but is not one (not counted as a
   * priority delivery, not subject to the queue bound).
   */
  sendControl(body: string): void {
    if (this.closed) return;
    this.queue.push({ body, priority: 0, at: this.scheduler.now(), ref: 0, control: true });
    this.queuedBytes += body.length;
    this.flush("control");
  }

  /**
   * Messages a resumed connection missed, sent now in order, in frames bounded by the
   * byte budget only: they are owed already, so neither the queue bound nor the
   * batch size applies. `refs[i]` is `bodies[i]`'s reference.
   */
  replay(bodies: readonly string[], refs: readonly number[]): void {
    if (this.closed || bodies.length === 0) return;
    const at = this.scheduler.now();
    bodies.forEach((body, i) => this.queue.push({ body, priority: 0, at, ref: refs[i] ?? 0 }));
    this.flush("replay");
  }

  /** Send everything queued now, in frames of at most the batch target. */
  flush(cause: FlushCause = "manual"): void {
    this.disarmTimer();
    // A priority (or control) frame carries everything queued before it: one frame, order kept.
    const whole = cause === "priority" || cause === "control";
    const chunk = cause === "unbatched" ? 1 : cause === "replay" ? Number.POSITIVE_INFINITY : Math.max(this.batchTarget(), 1);
    while (this.queue.length > 0) {
      let count = 0;
      let bytes = 0;
      while (count < this.queue.length && (whole || count < chunk)) {
        const next = this.queue[count]!.body.length;
        if (!whole && count > 0 && bytes + next > this.settings.maxBatchBytes) break;
        bytes += next;
        count += 1;
      }
      this.sendFrame(this.queue.splice(0, count), cause);
    }
    this.queuedBytes = 0;
  }

  /** Stop: cancel the timer and forget the queue (the socket is gone). */
  close(): void {
    this.closed = true;
    this.disarmTimer();
    this.queue = [];
    this.queuedBytes = 0;
  }

  private sendFrame(batch: Queued[], cause: FlushCause): void {
    const dropped = this.droppedSinceFrame;
    const frame = encodeFrame(this.seq, batch.map((m) => m.body), dropped);
    const started = this.scheduler.now();
    this.sink.send(frame);
    const ended = this.scheduler.now();
    this.seq += batch.length;
    for (const m of batch) if (m.ref > this.sentRef) this.sentRef = m.ref;
    this.droppedSinceFrame = 0;
    this.adaptive.recordSend(ended - started);
    const threshold = this.settings.priorityThreshold;
    const priority = batch.some((m) => m.control !== true && m.priority >= threshold);
    this.stats.framesSent += 1;
    this.stats.messagesSent += batch.length;
    if (priority) this.stats.priorityDeliveries += 1;
    this.observer.onFlush?.({
      cause,
      size: batch.length,
      frameBytes: frame.length,
      priority,
      waitsMs: batch.filter((m) => m.control !== true && m.priority < threshold && cause !== "replay").map((m) => started - m.at),
      dropped,
      sendCostMs: ended - started,
    });
  }

  /**
   * Make room for a message of priority `incoming`: drop the oldest queued message of
   * the lowest priority, or the incoming one when it is lower than everything queued.
   * Returns whether the incoming message may be queued.
   */
  private makeRoom(incoming: number): boolean {
    let victim = -1;
    for (let i = 0; i < this.queue.length; i++) {
      if (victim === -1 || this.queue[i]!.priority < this.queue[victim]!.priority) victim = i;
    }
    const keepIncoming = victim !== -1 && this.queue[victim]!.priority <= incoming;
    let droppedPriority = incoming;
    if (keepIncoming) {
      const [dropped] = this.queue.splice(victim, 1);
      this.queuedBytes -= dropped!.body.length;
      droppedPriority = dropped!.priority;
    }
    this.droppedSinceFrame += 1;
    this.stats.dropped += 1;
    this.observer.onDrop?.(droppedPriority);
    return keepIncoming;
  }

  /** Size and timed flushes wait while the socket is backed up; the queue bound then applies. */
  private flushUnlessBackedUp(cause: FlushCause): void {
    if ((this.sink.bufferedAmount?.() ?? 0) > this.settings.highWaterBytes) {
      if (this.cancelTimer === undefined) {
        this.stats.deferred += 1;
        this.setTimer(this.settings.maxWaitMs);
      }
      return;
    }
    this.flush(cause);
  }

  private armTimer(): void {
    if (this.cancelTimer !== undefined || this.queue.length === 0) return;
    const oldest = this.queue[0]!.at;
    this.setTimer(Math.max(0, oldest + this.settings.maxWaitMs - this.timerSlack - this.scheduler.now()));
  }

  private setTimer(ms: number): void {
    this.timerDueAt = this.scheduler.now() + ms;
    this.cancelTimer = this.scheduler.setTimer(ms, () => this.onTimer());
  }

  private onTimer(): void {
    this.cancelTimer = undefined;
    const late = this.scheduler.now() - this.timerDueAt;
    this.timerSlack = Math.min(this.settings.maxWaitMs / 2, Math.max(late, this.timerSlack * 0.9));
    if (this.queue.length === 0 || this.closed) return;
    this.flushUnlessBackedUp("time");
  }

  private disarmTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private newAdaptive(): AdaptiveBatchSize {
    return new AdaptiveBatchSize({
      min: this.settings.adaptiveMin,
      max: this.settings.adaptiveMax,
      maxWaitMs: this.settings.maxWaitMs,
    });
  }
}
