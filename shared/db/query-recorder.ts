/**
 * What happens after each statement: per-fingerprint stats, slow-query detection
 * (with an EXPLAIN plan when configured), and the event for an observer.
 *
 * @example
 * const recorder = new QueryRecorder(policy, executor, observer, Date.now);
 * await recorder.record({ entry, durationMs: 3, dbMs: 2, rows: 1, tier: "miss", params: [1], at: Date.now() });
 */
import type { CatalogEntry } from "./statement-catalog.ts";
import type { QueryPolicy } from "./query-policy.ts";
import { paramShape } from "./query-params.ts";
import { QueryStats } from "./query-stats.ts";
import type {
  OptimizerStatsSnapshot,
  QueryEvent,
  QueryObserver,
  QueryTier,
  SlowQueryRecord,
  SqlExecutor,
} from "./query-types.ts";
import { redactPlan, SlowQueryLog } from "./slow-queries.ts";

export interface RecordedCall {
  entry: CatalogEntry;
  /** The statement text, as run (needed only to EXPLAIN it). */
  sql: string;
  durationMs: number;
  dbMs: number;
  rows: number;
  tier: QueryTier;
  params: readonly unknown[];
  /** Epoch ms at the start. */
  at: number;
  error?: string;
  requestId?: string;
}

/** One plan per fingerprint per minute at most: a hot slow query must not double its own load. */
const EXPLAIN_INTERVAL_MS = 60_000;

export class QueryRecorder {
  private readonly stats: QueryStats;
  private readonly slow: SlowQueryLog;
  private readonly lastExplained = new Map<string, number>();

  constructor(
    private readonly policy: QueryPolicy,
    private readonly executor: SqlExecutor,
    private readonly observer: QueryObserver | undefined,
    private readonly wallClock: () => number,
  ) {
    this.stats = new QueryStats(policy.statsMaxFingerprints);
    this.slow = new SlowQueryLog(policy.slowQueryLogSize);
  }

  /**
   * Records the call. Returns a promise only when a plan is being fetched for a
   * slow query (the caller hands it to waitUntil or awaits it).
   */
  record(call: RecordedCall): Promise<void> | undefined {
    const { entry } = call;
    const kind = entry.analysis.kind;
    this.stats.record(entry.fp, kind, call.durationMs, call.rows, call.tier, call.error !== undefined);
    const slow = call.tier !== "l1" && call.tier !== "l2" && call.dbMs >= this.policy.slowQueryThresholdMs;
    if (this.observer !== undefined) {
      this.emit({
        fingerprint: entry.fp.fingerprint,
        statement: entry.fp.statement,
        kind,
        durationMs: call.durationMs,
        dbMs: call.dbMs,
        rows: call.rows,
        tier: call.tier,
        slow,
        at: call.at,
        ...(call.error === undefined ? {} : { error: call.error }),
        ...(call.requestId === undefined ? {} : { requestId: call.requestId }),
      });
    }
    if (!slow) return undefined;
    const record: SlowQueryRecord = {
      at: call.at,
      fingerprint: entry.fp.fingerprint,
      statement: entry.fp.statement,
      paramShape: paramShape(call.params),
      durationMs: call.dbMs,
      rows: call.rows,
      ...(call.error === undefined ? {} : { error: call.error }),
      ...(call.requestId === undefined ? {} : { requestId: call.requestId }),
    };
    this.slow.add(record);
    return this.explainInto(record, call);
  }

  private explainInto(record: SlowQueryRecord, call: RecordedCall): Promise<void> | undefined {
    if (!this.policy.explainSlowQueries || !call.entry.analysis.certain || call.entry.analysis.kind === "other") {
      return undefined;
    }
    const now = this.wallClock();
    const last = this.lastExplained.get(record.fingerprint);
    if (last !== undefined && now - last < EXPLAIN_INTERVAL_MS) return undefined;
    if (this.lastExplained.size >= this.policy.statsMaxFingerprints) this.lastExplained.clear();
    this.lastExplained.set(record.fingerprint, now);
    return this.executor.explain(call.sql, call.params).then(
      (plan) => {
        record.plan = redactPlan(plan);
      },
      // A plan is a diagnostic: failing to get one must not fail anything else.
      () => undefined,
    );
  }

  private emit(event: QueryEvent): void {
    try {
      this.observer?.(event);
    } catch {
      // An observer is a metrics sink; its failure must not fail the query.
    }
  }

  snapshot(): Omit<OptimizerStatsSnapshot, "refreshAfterWrite"> {
    return {
      fingerprints: this.stats.top(this.policy.topFingerprints),
      slowQueries: this.slow.recent(),
      trackedFingerprints: this.stats.size,
      slowThresholdMs: this.policy.slowQueryThresholdMs,
    };
  }
}
