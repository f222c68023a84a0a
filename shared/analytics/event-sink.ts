/**
 * The event sink: one BatchProcessor per raw table (a failed insert into one table must
 * not re-send rows already stored in another), each flushing JSONEachRow inserts through
 * a ClickHouseWriter. ClickHouse being down costs the caller nothing: record() only
 * queues; inserts are retried with backoff and, past the attempt limit or the queue
 * bound, counted as dropped.
 *
 * Freshness without timers: an isolate gets no callback once it is idle, so every request
 * that recorded an event keeps itself open with `ctx.waitUntil(sink.settle())` until the
 * events recorded before it were sent (when their batch is due, `flushIntervalMs` after
 * the oldest), bounded by `settleBudgetMs`. One request at a time does this for the whole
 * isolate (the keeper): a later request hands its events to the keeper and has nothing to
 * wait for, unless the keeper is past half its budget or a batch is due now, when it
 * becomes the keeper itself (see `settle`). A Durable Object does the same from its alarm
 * (README, "Metrics freshness").
 *
 * @example
 * const sink = createEventSink({ writer, batch: config.batchProcessor, analytics: config.analytics, clock: { now: Date.now } });
 * sink.record("request_events", row);
 * ctx.waitUntil(sink.settle());
 */
import { BatchProcessor, type Clock } from "../batching/batch-processor.ts";
import type { AnalyticsConfig, BatchProcessorConfig } from "../config.ts";
import type { ClickHouseWriter } from "./clickhouse-writer.ts";
import { EVENT_TABLES, type EventTable, type EventTables } from "./event-rows.ts";

export interface EventSinkOptions {
  writer: ClickHouseWriter;
  batch: Readonly<BatchProcessorConfig>;
  analytics: Readonly<Pick<AnalyticsConfig, "maxQueueEvents" | "maxBatchBytes" | "maxAttempts" | "retryBaseMs" | "retryMaxMs">>;
  clock: Clock;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Inserts in flight per table. Default 1. */
  maxConcurrentFlushes?: number;
  /** How long one settle() may keep waiting for due batches and retries. Default 20 s (a Worker's waitUntil lasts 30 s). */
  settleBudgetMs?: number;
  /** Told about every event that will never be stored (after its last attempt). Must not throw. */
  onDropped?: (table: EventTable, count: number, error: unknown) => void;
}

export interface TableCounters {
  /** Events recorded. */
  in: number;
  /** Events ClickHouse acknowledged. */
  stored: number;
  /** Events given up: queue overflow plus retries exhausted. */
  dropped: number;
  queued: number;
  failedInserts: number;
}

export interface EventSinkStats extends TableCounters {
  tables: Partial<Record<EventTable, TableCounters>>;
}

export interface EventSink {
  record<K extends EventTable>(table: K, row: EventTables[K]): void;
  /** True when some table has a batch to send now. */
  isDue(): boolean;
  /** Milliseconds until some table has a batch due (0: now); undefined when nothing is queued. */
  msUntilDue(): number | undefined;
  /** Sends the due batches; never rejects. */
  flushDue(): Promise<void>;
  /**
   * The end-of-request hook: the promise to hand to ctx.waitUntil, or undefined when a
   * running settle (the keeper) takes this call's events over, which it does when it has at
   * least half its budget left and nothing is due to send now. The promise resolves once
   * every event recorded before the call, and every event a later call handed over, was
   * stored or given up, or the settle budget is spent, or a newer settle became the keeper
   * (it carries these events too, with a later budget). It waits until the batch is due,
   * sends it unless another request's insert already carries it, and again after a failed
   * insert's backoff. Only ever waits on its own timers and inserts (workerd cancels a
   * request that waits on another's), and never hands over in the middle of its own
   * insert. Never rejects.
   */
  settle(): Promise<void> | undefined;
  /**
   * Sends everything queued now and waits for every insert in flight, through retries,
   * without refusing new events (a dev server drains before it stops). Never rejects.
   */
  drain(): Promise<void>;
  /** Sends everything queued now; never rejects. */
  flush(): Promise<void>;
  /** Shutdown: drains every table, waiting out retries, then refuses new events. */
  close(): Promise<void>;
  stats(): EventSinkStats;
  /** stats().dropped without building the stats (asked after every keeper's settle). */
  dropped(): number;
}

/**
 * A cheap size estimate (JSON is a little bigger): string lengths plus a constant per
 * field. Exactness does not matter, bounding the insert body does.
 */
export function estimateRowBytes(row: object): number {
  let bytes = 2;
  for (const value of Object.values(row)) bytes += typeof value === "string" ? value.length + 16 : 16;
  return bytes;
}

/** How often a settle looks again while another request's insert carries its events. */
const SETTLE_POLL_MS = 25;

export function createEventSink(options: EventSinkOptions): EventSink {
  const processors = new Map<EventTable, BatchProcessor<object>>();

  const processorFor = (table: EventTable): BatchProcessor<object> => {
    let processor = processors.get(table);
    if (processor !== undefined) return processor;
    const { batch, analytics } = options;
    processor = new BatchProcessor<object>({
      maxBatchSize: batch.maxBatchSize,
      flushIntervalMs: batch.flushIntervalMs,
      maxBatchBytes: analytics.maxBatchBytes,
      maxQueueItems: Math.max(analytics.maxQueueEvents, batch.maxBatchSize),
      // Fresh events are worth more than old ones to a dashboard when ClickHouse is away for long.
      overflow: "drop-oldest",
      sizeOf: estimateRowBytes,
      // A retry resends the same batch under the same id: stored once even if the first send landed.
      sink: (rows, info) => options.writer.insert(table, rows, { dedupToken: info.id }),
      onDeadLetter: (rows, error) => options.onDropped?.(table, rows.length, error),
      retry: { maxAttempts: analytics.maxAttempts, baseDelayMs: analytics.retryBaseMs, maxDelayMs: analytics.retryMaxMs },
      maxConcurrentFlushes: options.maxConcurrentFlushes ?? 1,
      clock: options.clock,
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
    processors.set(table, processor);
    return processor;
  };

  const all = async (run: (p: BatchProcessor<object>) => Promise<void>) => {
    await Promise.all([...processors.values()].map(run));
  };
  const flushDue = () => all((p) => p.flushDue());
  const msUntilDue = (): number | undefined => {
    let soonest: number | undefined;
    for (const processor of processors.values()) {
      const ms = processor.msUntilDue();
      if (ms !== undefined && (soonest === undefined || ms < soonest)) soonest = ms;
    }
    return soonest;
  };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const budgetMs = options.settleBudgetMs ?? 20_000;
  /** Sends one due batch per table where a flush slot is free; true when any was sent. */
  const sendDue = async () => (await Promise.all([...processors.values()].map((p) => p.sendDue()))).includes(true);

  /** How many events each table had received: done once as many were stored or given up (FIFO). */
  const marks = (): [BatchProcessor<object>, number][] => [...processors.values()].map((p) => [p, p.received]);
  const resolved = (mark: Iterable<[BatchProcessor<object>, number]>) => {
    for (const [processor, received] of mark) if (processor.finished < received) return false;
    return true;
  };

  // One settle at a time holds the isolate open for every event recorded so far. A settle
  // that finds that keeper with at least half its budget left, and nothing due to send now,
  // adds its events to the keeper's target and returns at once: no timer and no waitUntil
  // per request, which under load were most of what the metrics cost the request path
  // (README, "Request path"). Otherwise it becomes the keeper, and an older keeper returns at
  // its next wake-up, after any insert of its own has finished.
  interface Keeper {
    target: Map<BatchProcessor<object>, number>;
    deadline: number;
  }
  let keeper: Keeper | undefined;

  const hold = async (mine: Keeper) => {
    try {
      while (keeper === mine && !resolved(mine.target)) {
        const wait = msUntilDue();
        if (wait === 0 && (await sendDue())) continue;
        // Not due yet, a retry backoff, or the insert in flight is another request's: wait on a
        // timer of our own, never on that insert (workerd cancels a request that only waits on
        // another request's I/O as hung).
        const pause = wait === undefined || wait === 0 ? SETTLE_POLL_MS : wait;
        if (options.clock.now() + pause > mine.deadline) return;
        await sleep(pause);
      }
    } finally {
      if (keeper === mine) keeper = undefined;
    }
  };

  const settle = (): Promise<void> | undefined => {
    const now = options.clock.now();
    if (keeper !== undefined && keeper.deadline - now >= budgetMs / 2 && msUntilDue() !== 0) {
      for (const [processor, received] of marks()) keeper.target.set(processor, received);
      return undefined;
    }
    const mine: Keeper = { target: new Map(marks()), deadline: now + budgetMs };
    keeper = mine;
    return hold(mine);
  };

  return {
    record(table, row) {
      processorFor(table).add(row);
    },
    isDue() {
      for (const processor of processors.values()) if (processor.isDue()) return true;
      return false;
    },
    msUntilDue,
    flushDue,
    settle,
    flush: () => all((p) => p.flush()),
    drain: () => all((p) => p.drain()),
    close: () => all((p) => p.close()),
    dropped() {
      let dropped = 0;
      for (const processor of processors.values()) dropped += processor.dropped;
      return dropped;
    },
    stats() {
      const total: EventSinkStats = { in: 0, stored: 0, dropped: 0, queued: 0, failedInserts: 0, tables: {} };
      for (const table of EVENT_TABLES) {
        const processor = processors.get(table);
        if (processor === undefined) continue;
        const s = processor.stats();
        const counters = { in: s.received, stored: s.sent, dropped: s.dropped, queued: s.queued, failedInserts: s.failedFlushes };
        total.tables[table] = counters;
        total.in += counters.in;
        total.stored += counters.stored;
        total.dropped += counters.dropped;
        total.queued += counters.queued;
        total.failedInserts += counters.failedInserts;
      }
      return total;
    },
  };
}
