/** Options and counters of the BatchProcessor (batch-processor.ts). */

export interface Clock {
  /** Milliseconds; only differences matter (Date.now or performance.now). */
  now(): number;
}

export interface RetryPolicy {
  /** Sends per item, the first included; after the last failure the item is dead-lettered. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** What happens to an item added while the queue is full. */
export type OverflowPolicy = "drop-oldest" | "drop-newest";

export interface BatchProcessorOptions<T> {
  /** Items per batch (the seed's MAX_BATCH_SIZE = 100). */
  maxBatchSize: number;
  /** A batch is due when its oldest item is this old (the seed's FLUSH_INTERVAL = 1 s). */
  flushIntervalMs: number;
  /** Byte budget of one batch (by `sizeOf`); a batch is also due once this much is queued. */
  maxBatchBytes?: number;
  /** Memory bound: items held (queued, retrying) at most. Must be >= maxBatchSize. */
  maxQueueItems: number;
  /** Memory bound in `sizeOf` bytes. */
  maxQueueBytes?: number;
  overflow: OverflowPolicy;
  /** Estimated size of an item; default 0 (byte budgets then never trigger). */
  sizeOf?: (item: T) => number;
  /** Sends one batch; rejecting means the whole batch failed and will be retried. */
  sink: (batch: readonly T[], info: BatchInfo) => Promise<void>;
  /** Receives items whose attempts ran out, with the last error. */
  onDeadLetter?: (items: readonly T[], error: unknown) => void | Promise<void>;
  retry?: RetryPolicy;
  /** Batches sent at the same time (distinct items each). Default 1. */
  maxConcurrentFlushes?: number;
  clock: Clock;
  /** [0, 1); default Math.random. Injected so tests fix the jitter. */
  random?: () => number;
  /** Used only by drain()/close() to wait out a backoff; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** A new batch's id; default crypto.randomUUID(). */
  newBatchId?: () => string;
}

/** Which batch a sink call sends. */
export interface BatchInfo {
  /** The same on every retry of the batch (with the same items), new for every other batch. */
  id: string;
  /** 1 on the first send, 2 on the first retry, and so on. */
  attempt: number;
}

export interface BatchProcessorStats {
  /** Every add() call. */
  received: number;
  /** Items the sink accepted. */
  sent: number;
  /** Successful sink calls. */
  batches: number;
  failedFlushes: number;
  /** Items put back for another attempt (an item retried twice counts twice). */
  retried: number;
  /** Items handed to onDeadLetter after their last attempt. */
  deadLettered: number;
  /** Items dropped by the overflow policy or added after close(). */
  droppedOverflow: number;
  /** deadLettered + droppedOverflow: items that will never reach the sink. */
  dropped: number;
  /** onDeadLetter calls that threw. */
  deadLetterErrors: number;
  queued: number;
  queuedBytes: number;
  inFlight: number;
}
