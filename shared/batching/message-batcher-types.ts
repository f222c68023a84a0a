/** Options, I/O interfaces and flush records of the MessageBatcher (message-batcher.ts). */

/** Time and timers, injected so tests drive them by hand (manual-scheduler.ts). */
export interface Scheduler {
  /** Milliseconds; only differences matter. */
  now(): number;
  /** Run `fn` once after `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** The real clock and timers (a room's Durable Object, a Node process). */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

/** One connection's outgoing side. */
export interface FrameSink {
  send(frame: string): void;
  /** Bytes accepted by send() but not yet written, where the runtime exposes it (ws does, workerd does not). */
  bufferedAmount?(): number;
}

export interface BatcherSettings {
  /** false: every message leaves at once in its own frame (the unbatched baseline). */
  enabled: boolean;
  /** time: a batch leaves when its oldest message has waited this long. */
  maxWaitMs: number;
  /** size: a batch leaves at this many messages (the fixed size when `adaptive` is off). */
  maxBatchSize: number;
  /** size: ... or once this many payload bytes are queued. */
  maxBatchBytes: number;
  /** priority: a message at or above this leaves at once, with everything queued before it. */
  priorityThreshold: number;
  /** adaptive: the batch size follows the measured load between adaptiveMin and adaptiveMax. */
  adaptive: boolean;
  adaptiveMin: number;
  adaptiveMax: number;
  /** Memory bound per connection (messages). */
  queueLimit: number;
  /** Slow consumer: above this many buffered socket bytes, timed flushes wait (the queue absorbs, then drops). */
  highWaterBytes: number;
}

export type FlushCause = "time" | "size" | "bytes" | "priority" | "control" | "replay" | "unbatched" | "close" | "manual";

/** What one flush sent: one frame per record. */
export interface FlushRecord {
  cause: FlushCause;
  /** Messages in the frame. */
  size: number;
  /** Frame length in characters. */
  frameBytes: number;
  /** The frame held a priority message. */
  priority: boolean;
  /** Queue wait of each normal (non-priority) message in the frame, in ms. */
  waitsMs: readonly number[];
  /** Messages dropped since the previous frame, announced in this one. */
  dropped: number;
  /** Time spent in sink.send, in ms. */
  sendCostMs: number;
}

export interface BatcherObserver {
  onFlush?(record: FlushRecord): void;
  /** A queued message was dropped because the queue was full. */
  onDrop?(priority: number): void;
}

export interface BatcherStats {
  enqueued: number;
  framesSent: number;
  messagesSent: number;
  dropped: number;
  priorityDeliveries: number;
  /** Timed flushes put off because the socket was backed up. */
  deferred: number;
}
