/**
 * One room's counters: connections, messages in and out, frames, batch sizes, queue
 * wait, drops, priority deliveries, rejected input. Served by the room's HTTP GET and
 * handed to an optional sink (the metrics pipeline) as snapshots.
 *
 * Queue wait is kept in 1 ms buckets up to 1 s (the local clock has 1 ms resolution,
 * and a wait past maxWaitMs is already an anomaly), so p50/p99 cover the room's whole
 * life in a fixed 4 KB.
 *
 * @example
 * const metrics = new RoomMetrics();
 * metrics.recordFlush(record);
 * metrics.snapshot().queueWaitMs.p99;
 */
import type { FlushRecord } from "../batching/message-batcher-types.ts";

/** Upper bounds of the batch-size buckets; the last bucket is "more". */
const BATCH_SIZE_BOUNDS = [1, 2, 5, 10, 20, 50, 100] as const;
const WAIT_BUCKETS = 1000;

export interface RoomMetricsSnapshot {
  room: string;
  party: string;
  /** Unix ms of the snapshot. */
  at: number;
  connections: number;
  connectionsTotal: number;
  messagesIn: number;
  messagesOut: number;
  framesSent: number;
  bytesSent: number;
  /** Frames by message count: "<=1", "<=2", ... ">100". */
  batchSizes: Record<string, number>;
  queueWaitMs: { count: number; p50: number; p99: number; max: number };
  /**
   * The queue-wait histogram behind `queueWaitMs`: [wait ms, messages], non-empty
   * buckets only, ascending; the last bucket (1000) holds every longer wait. Two
   * snapshots give the exact distribution of the waits between them.
   */
  queueWaitBuckets: [number, number][];
  drops: number;
  priorityDeliveries: number;
  publishes: number;
  /** Resumed connections, the missed messages replayed to them, and reconnects that had to start over. */
  recoveries: number;
  replayed: number;
  resets: number;
  rejected: Record<string, number>;
}

/** Where snapshots go when a pipeline exists (ClickHouse via the Worker, say). */
export interface RoomMetricsSink {
  emit(snapshot: RoomMetricsSnapshot): void | Promise<void>;
}

export class RoomMetrics {
  connections = 0;
  connectionsTotal = 0;
  messagesIn = 0;
  messagesOut = 0;
  framesSent = 0;
  bytesSent = 0;
  drops = 0;
  priorityDeliveries = 0;
  publishes = 0;
  recoveries = 0;
  replayed = 0;
  resets = 0;
  private readonly batchSizes = new Array<number>(BATCH_SIZE_BOUNDS.length + 1).fill(0);
  private readonly waits = new Uint32Array(WAIT_BUCKETS + 1);
  private waitCount = 0;
  private waitMax = 0;
  private readonly rejected = new Map<string, number>();

  recordFlush(record: FlushRecord): void {
    this.framesSent += 1;
    this.messagesOut += record.size;
    this.bytesSent += record.frameBytes;
    if (record.priority) this.priorityDeliveries += 1;
    const bucket = BATCH_SIZE_BOUNDS.findIndex((bound) => record.size <= bound);
    this.batchSizes[bucket === -1 ? BATCH_SIZE_BOUNDS.length : bucket]! += 1;
    for (const wait of record.waitsMs) {
      const ms = Math.max(0, Math.round(wait));
      this.waits[Math.min(ms, WAIT_BUCKETS)]! += 1;
      this.waitCount += 1;
      if (ms > this.waitMax) this.waitMax = ms;
    }
  }

  recordDrop(): void {
    this.drops += 1;
  }

  recordRejected(code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }

  /** The smallest wait (ms) at or below which a `q` share of the waits lie. */
  waitQuantile(q: number): number {
    if (this.waitCount === 0) return 0;
    const rank = Math.ceil(q * this.waitCount);
    let seen = 0;
    for (let ms = 0; ms <= WAIT_BUCKETS; ms++) {
      seen += this.waits[ms]!;
      if (seen >= rank) return ms === WAIT_BUCKETS ? this.waitMax : ms;
    }
    return this.waitMax;
  }

  private waitBuckets(): [number, number][] {
    const buckets: [number, number][] = [];
    for (let ms = 0; ms <= WAIT_BUCKETS; ms++) if (this.waits[ms]! > 0) buckets.push([ms, this.waits[ms]!]);
    return buckets;
  }

  snapshot(room: string, party: string, at: number): RoomMetricsSnapshot {
    const batchSizes: Record<string, number> = {};
    BATCH_SIZE_BOUNDS.forEach((bound, i) => (batchSizes[`<=${bound}`] = this.batchSizes[i]!));
    batchSizes[`>${BATCH_SIZE_BOUNDS[BATCH_SIZE_BOUNDS.length - 1]}`] = this.batchSizes[BATCH_SIZE_BOUNDS.length]!;
    return {
      room,
      party,
      at,
      connections: this.connections,
      connectionsTotal: this.connectionsTotal,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      framesSent: this.framesSent,
      bytesSent: this.bytesSent,
      batchSizes,
      queueWaitMs: { count: this.waitCount, p50: this.waitQuantile(0.5), p99: this.waitQuantile(0.99), max: this.waitMax },
      queueWaitBuckets: this.waitBuckets(),
      drops: this.drops,
      priorityDeliveries: this.priorityDeliveries,
      publishes: this.publishes,
      recoveries: this.recoveries,
      replayed: this.replayed,
      resets: this.resets,
      rejected: Object.fromEntries(this.rejected),
    };
  }
}
