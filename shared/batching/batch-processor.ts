/**
 * The seed's BatchProcessor for bulk work (metrics inserts, bulk writes): items queue
 * in memory and go to a sink in batches, flushed when `maxBatchSize` items (or
 * `maxBatchBytes`) are waiting or the oldest item is `flushIntervalMs` old.
 *
 * No timers of its own. An isolate may vanish between two requests and a Worker timer
 * does not run after the response unless a `ctx.waitUntil` holds the request open, so
 * the owner decides when to send: it asks `msUntilDue()` at the end of a request and
 * waits that long inside `ctx.waitUntil` before `flushDue()` (shared/analytics/event-sink.ts
 * `settle`), or sets a Durable Object alarm to it. Retry backoff is a "not before" time,
 * not a sleep; only `close()` and the owner's bounded wait sleep, through an injected `sleep`.
 *
 * Guarantees:
 * - A failed batch goes back to the head of the queue in its original order; each item
 *   is sent at most `retry.maxAttempts` times, then handed to `onDeadLetter` with the error.
 * - A retried batch is sent again as exactly the same batch with the same `BatchInfo.id`
 *   (items queued meanwhile wait for the next one), so a sink can make a retry of a send
 *   that landed after all (a timeout after the server stored it) a no-op: ClickHouse's
 *   insert_deduplication_token. Only the overflow policy can shrink a retried batch.
 * - Items are removed from the queue before the sink is called, so concurrent flushes
 *   never send the same item twice.
 * - Memory is bounded by `maxQueueItems` (and `maxQueueBytes`): past it the overflow
 *   policy drops the oldest or the newest item, and every drop is counted.
 *
 * @example
 * const batches = new BatchProcessor({ maxBatchSize: 100, flushIntervalMs: 1000, maxQueueItems: 10_000,
 *   sink: (rows) => writer.insert("request_events", rows), clock: { now: Date.now } });
 * batches.add(row);
 * if (batches.isDue()) ctx.waitUntil(batches.flushDue());
 */
import type { BatchProcessorOptions, BatchProcessorStats, RetryPolicy } from "./batch-processor-types.ts";

export * from "./batch-processor-types.ts";

interface Entry<T> {
  item: T;
  bytes: number;
  enqueuedAt: number;
  attempts: number;
  /** Set once the item was in a failed batch: the id that batch is retried under. */
  batchId?: string;
}

type Mode = "due" | "all" | "drain";

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 30_000 };

export class BatchProcessor<T> {
  readonly #options: BatchProcessorOptions<T>;
  readonly #retry: RetryPolicy;
  /** Pending items, oldest first. A plain array: shift() cost is amortised by batch splicing. */
  #queue: Entry<T>[] = [];
  #queuedBytes = 0;
  /** Retry backoff: no batch is taken before this time (the clock's ms). */
  #notBefore = 0;
  #inFlight = 0;
  #running = new Set<Promise<void>>();
  #closed = false;
  #stats = { received: 0, sent: 0, batches: 0, failedFlushes: 0, retried: 0, deadLettered: 0, droppedOverflow: 0, deadLetterErrors: 0 };

  constructor(options: BatchProcessorOptions<T>) {
    if (!(options.maxBatchSize >= 1)) throw new RangeError("maxBatchSize must be >= 1");
    if (!(options.maxQueueItems >= options.maxBatchSize)) throw new RangeError("maxQueueItems must be >= maxBatchSize");
    this.#options = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  /**
   * Queues an item. Returns false when the item itself was dropped (overflow policy
   * "drop-newest", or the processor is closed); with "drop-oldest" the oldest queued
   * item makes room instead and true is returned.
   */
  add(item: T): boolean {
    this.#stats.received++;
    if (this.#closed) {
      this.#stats.droppedOverflow++;
      return false;
    }
    const bytes = this.#options.sizeOf?.(item) ?? 0;
    const maxBytes = this.#options.maxQueueBytes ?? Number.POSITIVE_INFINITY;
    while (this.#queue.length >= this.#options.maxQueueItems || (this.#queue.length > 0 && this.#queuedBytes + bytes > maxBytes)) {
      if (this.#options.overflow === "drop-newest") {
        this.#stats.droppedOverflow++;
        return false;
      }
      const dropped = this.#queue.shift();
      if (dropped === undefined) break;
      this.#queuedBytes -= dropped.bytes;
      this.#stats.droppedOverflow++;
    }
    this.#queue.push({ item, bytes, enqueuedAt: this.#options.clock.now(), attempts: 0 });
    this.#queuedBytes += bytes;
    return true;
  }

  /** True when a batch should be sent now: full, big or old enough, and not backing off. */
  isDue(): boolean {
    return this.#canTake("due");
  }

  /**
   * Milliseconds until a batch is due (0: due now), counting a retry backoff;
   * undefined when nothing is queued. What an owner without timers sleeps for inside
   * `ctx.waitUntil` (or sets a Durable Object alarm to) so a batch leaves when due
   * even if no further item arrives.
   */
  msUntilDue(): number | undefined {
    const oldest = this.#queue[0];
    if (oldest === undefined) return undefined;
    const now = this.#options.clock.now();
    const full =
      this.#queue.length >= this.#options.maxBatchSize ||
      (this.#options.maxBatchBytes !== undefined && this.#queuedBytes >= this.#options.maxBatchBytes);
    const dueAt = full ? now : oldest.enqueuedAt + this.#options.flushIntervalMs;
    return Math.max(0, dueAt - now, this.#notBefore - now);
  }

  /** Sends batches while they are due. Never rejects: failures are retried later or dead-lettered. */
  flushDue(): Promise<void> {
    return this.#flush("due");
  }

  /**
   * Sends one due batch when a flush slot is free, awaiting that send alone: false when
   * nothing was started (nothing due, a retry backoff, or every slot taken). For an owner
   * that must not wait on a send another request started: workerd cancels a request
   * whose only pending work is another request's I/O as hung.
   */
  async sendDue(): Promise<boolean> {
    if (this.#inFlight >= (this.#options.maxConcurrentFlushes ?? 1) || !this.#canTake("due")) return false;
    this.#inFlight++;
    const run = (async () => {
      try {
        await this.#send(this.#take());
      } finally {
        this.#inFlight--;
      }
    })();
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
    await run;
    return true;
  }

  /** Flush on demand: sends everything queued now (still honouring a retry backoff). Never rejects. */
  flush(): Promise<void> {
    return this.#flush("all");
  }

  /**
   * Shutdown: refuses new items and drains the queue, waiting out each backoff with
   * `sleep`, until every item was sent or dead-lettered (bounded by retry.maxAttempts).
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
  }

  /** Like close() without refusing new items: resolves when the queue is empty and nothing is in flight. */
  async drain(): Promise<void> {
    const sleep = this.#options.sleep ?? defaultSleep;
    for (;;) {
      await this.#flush("drain");
      if (this.#queue.length === 0 && this.#inFlight === 0) return;
      const wait = Math.max(0, this.#notBefore - this.#options.clock.now());
      await sleep(wait);
    }
  }

  /** Items ever received (stats().received, without building the stats object: asked per request). */
  get received(): number {
    return this.#stats.received;
  }

  /** Items given up, overflowed or dead-lettered (stats().dropped, as cheaply). */
  get dropped(): number {
    return this.#stats.droppedOverflow + this.#stats.deadLettered;
  }

  /** Items that left for good, stored or dropped (stats().sent + stats().dropped, as cheaply). */
  get finished(): number {
    return this.#stats.sent + this.dropped;
  }

  stats(): BatchProcessorStats {
    return {
      ...this.#stats,
      dropped: this.dropped,
      queued: this.#queue.length,
      queuedBytes: this.#queuedBytes,
      inFlight: this.#inFlight,
    };
  }

  #canTake(mode: Mode): boolean {
    if (this.#queue.length === 0) return false;
    const now = this.#options.clock.now();
    if (now < this.#notBefore) return false;
    if (mode !== "due") return true;
    const oldest = this.#queue[0]!;
    return (
      this.#queue.length >= this.#options.maxBatchSize ||
      (this.#options.maxBatchBytes !== undefined && this.#queuedBytes >= this.#options.maxBatchBytes) ||
      // The same sum msUntilDue() waits for: with fractional clocks, `now - enqueuedAt >= interval`
      // can stay false at the very time msUntilDue() says 0, and an owner waiting on it would spin.
      now >= oldest.enqueuedAt + this.#options.flushIntervalMs
    );
  }

  async #flush(mode: Mode): Promise<void> {
    const maxConcurrent = this.#options.maxConcurrentFlushes ?? 1;
    while (this.#inFlight < maxConcurrent && this.#canTake(mode)) {
      const run = this.#worker(mode);
      this.#running.add(run);
      void run.finally(() => this.#running.delete(run));
    }
    // Joining flushes already running keeps "flush() resolved" meaning "what was queued went out".
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  async #worker(mode: Mode): Promise<void> {
    this.#inFlight++;
    try {
      while (this.#canTake(mode)) {
        const batch = this.#take();
        if (!(await this.#send(batch))) return;
      }
    } finally {
      this.#inFlight--;
    }
  }

  /** The next batch: a failed batch again as it was (failed batches sit at the head), else fresh items up to the budgets. */
  #take(): { id: string; entries: Entry<T>[] } {
    const retrying = this.#queue[0]?.batchId;
    const maxBytes = this.#options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
    let count = 0;
    let bytes = 0;
    while (count < this.#queue.length) {
      const next = this.#queue[count]!;
      if (next.batchId !== retrying) break;
      if (retrying === undefined && (count >= this.#options.maxBatchSize || (count > 0 && bytes + next.bytes > maxBytes))) break;
      bytes += next.bytes;
      count++;
    }
    this.#queuedBytes -= bytes;
    return { id: retrying ?? (this.#options.newBatchId ?? defaultBatchId)(), entries: this.#queue.splice(0, count) };
  }

  /** Returns false when the batch failed (the caller stops: the backoff now applies). */
  async #send({ id, entries: batch }: { id: string; entries: Entry<T>[] }): Promise<boolean> {
    for (const entry of batch) entry.attempts++;
    try {
      await this.#options.sink(
        batch.map((entry) => entry.item),
        { id, attempt: batch[0]!.attempts },
      );
      this.#stats.sent += batch.length;
      this.#stats.batches++;
      this.#notBefore = 0;
      return true;
    } catch (error) {
      this.#stats.failedFlushes++;
      await this.#failed(id, batch, error);
      return false;
    }
  }

  async #failed(id: string, batch: Entry<T>[], error: unknown): Promise<void> {
    // Items of one batch were always sent together, so they have the same attempts.
    const exhausted = batch.filter((entry) => entry.attempts >= this.#retry.maxAttempts);
    const retry = batch.filter((entry) => entry.attempts < this.#retry.maxAttempts);
    for (const entry of retry) entry.batchId = id;
    if (retry.length > 0) {
      this.#stats.retried += retry.length;
      this.#queue.unshift(...retry);
      for (const entry of retry) this.#queuedBytes += entry.bytes;
      const attempts = Math.max(...retry.map((entry) => entry.attempts));
      this.#notBefore = this.#options.clock.now() + backoffDelay(this.#retry, attempts, this.#options.random ?? Math.random);
    }
    if (exhausted.length > 0) {
      this.#stats.deadLettered += exhausted.length;
      try {
        await this.#options.onDeadLetter?.(exhausted.map((entry) => entry.item), error);
      } catch {
        // A dead-letter handler that throws must not lose the processor's own accounting.
        this.#stats.deadLetterErrors++;
      }
    }
  }
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so
 * isolates that failed together do not retry in lockstep yet never retry at once.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return exponential / 2 + random() * (exponential / 2);
}

function defaultBatchId(): string {
  return crypto.randomUUID();
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
