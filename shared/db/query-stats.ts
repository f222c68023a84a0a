/**
 * Per-fingerprint query stats in bounded memory: counters plus a log-bucketed
 * latency histogram per fingerprint (fixed size, so p95 costs no samples), and
 * at most `maxFingerprints` fingerprints (the least called is dropped for a new one).
 *
 * @example
 * const stats = new QueryStats(500);
 * stats.record({ fingerprint: "ab12", statement: "select ?" }, "read", 1.2, 1, "miss", false);
 * stats.top(10)[0]?.p95Ms;
 */
import type { Fingerprint } from "./fingerprint.ts";
import type { FingerprintStats, QueryTier, StatementKind } from "./query-types.ts";

/**
 * Bucket i holds durations in [MIN_MS * GROWTH^i, MIN_MS * GROWTH^(i+1)), so a
 * quantile read at the bucket's geometric middle is within ~5% of the truth;
 * 213 buckets of 4 bytes per fingerprint.
 */
const MIN_MS = 0.01;
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
/** Up to 1.8 hours; longer durations land in the last bucket. */
const BUCKETS = Math.ceil(Math.log(6_600_000 / MIN_MS) / LOG_GROWTH);

/**
 * A fixed-size histogram of durations: quantiles within about 5% of the truth,
 * clamped to the exact min and max seen.
 */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  add(ms: number): void {
    const value = ms > 0 ? ms : 0;
    const index = value <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(value / MIN_MS) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** q in (0, 1]: the duration below which a fraction q of the samples fall; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank >= this.count) return this.max;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) {
        if (i === BUCKETS - 1) return this.max;
        // The bucket's geometric middle: the error is symmetric in ratio.
        const mid = MIN_MS * GROWTH ** (i + 0.5);
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }
}

const NO_TIERS = (): Record<QueryTier, number> => ({ l1: 0, l2: 0, miss: 0, stale: 0, bypass: 0 });

class Entry {
  calls = 0;
  errors = 0;
  rows = 0;
  totalMs = 0;
  readonly latency = new LatencyHistogram();
  readonly tiers = NO_TIERS();
  constructor(
    readonly fingerprint: string,
    readonly statement: string,
    readonly kind: StatementKind,
  ) {}

  snapshot(): FingerprintStats {
    return {
      fingerprint: this.fingerprint,
      statement: this.statement,
      kind: this.kind,
      calls: this.calls,
      errors: this.errors,
      rows: this.rows,
      totalMs: this.totalMs,
      meanMs: this.calls === 0 ? 0 : this.totalMs / this.calls,
      p95Ms: this.latency.quantile(0.95),
      maxMs: this.latency.max,
      tiers: { ...this.tiers },
    };
  }
}

export class QueryStats {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxFingerprints: number) {}

  get size(): number {
    return this.entries.size;
  }

  record(fp: Fingerprint, kind: StatementKind, durationMs: number, rows: number, tier: QueryTier, error: boolean): void {
    let entry = this.entries.get(fp.fingerprint);
    if (entry === undefined) {
      if (this.entries.size >= this.maxFingerprints) this.evictLeastCalled();
      entry = new Entry(fp.fingerprint, fp.statement, kind);
      this.entries.set(fp.fingerprint, entry);
    }
    entry.calls++;
    entry.totalMs += durationMs;
    entry.rows += rows;
    entry.tiers[tier]++;
    if (error) entry.errors++;
    entry.latency.add(durationMs);
  }

  /** O(n), but only when a new fingerprint arrives at the bound; the hot path stays a map lookup. */
  private evictLeastCalled(): void {
    let victim: Entry | undefined;
    for (const entry of this.entries.values()) {
      if (victim === undefined || entry.calls < victim.calls) victim = entry;
    }
    if (victim !== undefined) this.entries.delete(victim.fingerprint);
  }

  get(fingerprint: string): FingerprintStats | undefined {
    return this.entries.get(fingerprint)?.snapshot();
  }

  /** The n fingerprints with the most total time. */
  top(n: number): FingerprintStats[] {
    return [...this.entries.values()]
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, n)
      .map((entry) => entry.snapshot());
  }
}
