/**
 * The public contract of the query optimizer (shared/db/query-optimizer.ts):
 * what the HTTP API and the metrics pipeline code against. Everything here is
 * types and error classes only, so importing it costs nothing in the bundle.
 *
 * @example
 * const { rows, tier } = await optimizer.read<{ id: string }>(
 *   "select id from users where email = $1", [email], { queryClass: "user" }, { waitUntil: (p) => ctx.waitUntil(p) },
 * );
 */

import type { CacheTier, ReadContext as CacheReadContext, TieredCache } from "../cache/types.ts";
import type { QueryPolicy } from "./query-policy.ts";

/**
 * Which tier answered: the cache's tiers. "bypass": the statement ran without the
 * cache (volatile, unclassifiable, a write, inside a transaction, or `cache: false`).
 */
export type QueryTier = CacheTier;

/** What the SQL analysis says a statement is. "other": DDL, COPY, SET, utility commands. */
export type StatementKind = "read" | "write" | "other";

/** Decides the cache TTL: user data 60 s, config data 600 s, default 300 s (shared/config.ts). */
export type QueryClass = "user" | "config" | "default";

/** The request's execution context, as far as the optimizer needs it (a Worker's ExecutionContext fits). */
export interface ReadContext extends CacheReadContext {
  /** Carried into query events and slow-query records. */
  requestId?: string;
}

export interface QueryResult<Row> {
  rows: Row[];
  /** Rows returned, or rows affected for a write. */
  rowCount: number;
  tier: QueryTier;
  /** Wall time of the whole call (analysis, cache, database). */
  durationMs: number;
  /** Time spent in the database; 0 when a cache tier answered. */
  dbMs: number;
  /** Stable short hash of the normalised statement (literals and $n replaced). */
  fingerprint: string;
}

export interface ReadOptions {
  /** Fresh lifetime; overrides the TTL of the query class. */
  ttlSeconds?: number;
  /** How long past its TTL a stale value may be served while one refresh runs. */
  swrSeconds?: number;
  /** false: run against the database, skip the cache (tier "bypass"). Default true. */
  cache?: boolean;
  /** Overrides the class derived from the tables read. */
  queryClass?: QueryClass;
  /** Extra invalidation tags on top of the tables read (e.g. "tenant:42"). */
  tags?: readonly string[];
}

export interface WriteOptions {
  /**
   * Extra tags to invalidate on top of the tables written. Required for a statement
   * the parser cannot analyse: such a write is refused (WriteTablesUnknownError)
   * rather than run without invalidating anything.
   */
  tags?: readonly string[];
}

/** The statement runner handed to a transaction callback (one WebSocket connection, one BEGIN..COMMIT). */
export interface TransactionClient {
  /**
   * opts.tags: extra tags to invalidate after COMMIT; required for a statement the
   * parser cannot analyse (else WriteTablesUnknownError, and the transaction rolls back).
   */
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
    opts?: WriteOptions,
  ): Promise<{ rows: Row[]; rowCount: number }>;
}

export interface QueryOptimizer {
  /** A read, served through the tiered cache when the statement is a certain, non-volatile read. */
  read<Row = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[],
    opts?: ReadOptions,
    ctx?: ReadContext,
  ): Promise<QueryResult<Row>>;
  /**
   * A single write over HTTP. Every table it writes is invalidated after the write
   * commits and before this promise resolves. Tier is always "bypass".
   */
  write<Row = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[],
    opts?: WriteOptions,
    ctx?: ReadContext,
  ): Promise<QueryResult<Row>>;
  /**
   * Runs fn inside BEGIN..COMMIT on a Pool connection over WebSocket (ROLLBACK if fn
   * throws). After COMMIT, every table written by any statement inside is invalidated
   * before this resolves. Reads inside a transaction never touch the cache.
   */
  transaction<T>(fn: (tx: TransactionClient) => Promise<T>, ctx?: ReadContext): Promise<T>;
  /** Per-fingerprint stats and recent slow queries. */
  stats(): OptimizerStatsSnapshot;
}

/** One executed (or cache-served) statement, for the metrics pipeline. */
export interface QueryEvent {
  fingerprint: string;
  /** The normalised statement: literals and parameters replaced, no values. */
  statement: string;
  kind: StatementKind;
  durationMs: number;
  dbMs: number;
  rows: number;
  tier: QueryTier;
  slow: boolean;
  /** Stable error code (see QueryError) when the statement failed. */
  error?: string;
  requestId?: string;
  /** Epoch ms when the call started. */
  at: number;
}

/** Subscribes to query events; must not throw (a throwing observer is ignored). */
export type QueryObserver = (event: QueryEvent) => void;

export interface FingerprintStats {
  fingerprint: string;
  statement: string;
  kind: StatementKind;
  calls: number;
  errors: number;
  rows: number;
  /** Over every call, cache hits included. */
  totalMs: number;
  meanMs: number;
  /** From a bounded log-bucketed histogram: within a few percent of the true value. */
  p95Ms: number;
  maxMs: number;
  /** Calls answered by each tier. */
  tiers: Record<QueryTier, number>;
}

/** The type of each parameter, never its value: "int", "text", "null", "bool", "json", "bytea", ... */
export type ParamShape = readonly string[];

export interface SlowQueryRecord {
  at: number;
  fingerprint: string;
  statement: string;
  paramShape: ParamShape;
  durationMs: number;
  rows: number;
  requestId?: string;
  /** EXPLAIN (FORMAT JSON) output, only when QueryPolicyConfig.explainSlowQueries is on. */
  plan?: unknown;
  error?: string;
}

export interface OptimizerStatsSnapshot {
  /** Top fingerprints by total time, at most `topN` (query policy). */
  fingerprints: FingerprintStats[];
  /** Most recent first, bounded ring buffer. */
  slowQueries: SlowQueryRecord[];
  /** Distinct fingerprints tracked now (bounded; the least used are dropped). */
  trackedFingerprints: number;
  slowThresholdMs: number;
  /** Refresh after write: point reads re-read after a write to their row (failed ones included), and remembered now. */
  refreshAfterWrite: { started: number; failed: number; remembered: number };
}

/**
 * Base of every error the optimizer raises; `code` is stable and machine-readable:
 * "statement_timeout", "statement_not_read", "write_tables_unknown", "db_error"
 * (Postgres rejected the statement: see sqlState, e.g. 23505 unique violation,
 * 23503 foreign key, 40001 serialization failure) and "db_unavailable" (no answer
 * from the database: network, connection refused).
 */
export class QueryError extends Error {
  readonly code: string;
  /** The Postgres SQLSTATE when the database raised it. */
  readonly sqlState: string | undefined;
  constructor(code: string, message: string, sqlState?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "QueryError";
    this.code = code;
    this.sqlState = sqlState;
  }
}

/** The statement ran past the statement timeout and was cancelled (SQLSTATE 57014). */
export class StatementTimeoutError extends QueryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("statement_timeout", message, "57014", options);
    this.name = "StatementTimeoutError";
  }
}

/** read() was given a statement that writes (or is DDL); use write() or transaction(). */
export class NotAReadError extends QueryError {
  constructor(kind: StatementKind) {
    super("statement_not_read", `read() was given a statement of kind "${kind}"`);
    this.name = "NotAReadError";
  }
}

/** write() could not tell which tables the statement writes and no tags were given. */
export class WriteTablesUnknownError extends QueryError {
  constructor() {
    super("write_tables_unknown", "cannot tell which tables this statement writes; pass tags explicitly");
    this.name = "WriteTablesUnknownError";
  }
}

/** What the executor returns for one statement. */
export interface ExecutedStatement<Row> {
  rows: Row[];
  rowCount: number;
}

/**
 * The database as the optimizer sees it (shared/db/executor.ts: createNeonExecutor
 * over @neondatabase/serverless). Unit tests pass a fake; the statement timeout is
 * the executor's job, applied to every statement it runs.
 */
export interface SqlExecutor {
  /** One statement over HTTP. readOnly: run in a READ ONLY transaction (cacheable reads). */
  run<Row = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[],
    opts: { readOnly: boolean },
  ): Promise<ExecutedStatement<Row>>;
  /** BEGIN..COMMIT on one WebSocket connection; ROLLBACK when fn throws. */
  transaction<T>(fn: (tx: TransactionClient) => Promise<T>, ctx?: ReadContext): Promise<T>;
  /** EXPLAIN (FORMAT JSON) of the statement with these parameters (not ANALYZE: nothing runs twice). */
  explain(sql: string, params: readonly unknown[]): Promise<unknown>;
}

/**
 * How to build one (once per isolate: it holds the stats and the parse cache):
 *
 * @example
 * const optimizer = createQueryOptimizer({
 *   executor: createNeonExecutor(config.postgres, config.query),
 *   cache,                                   // shared/cache createTieredCache(...)
 *   policy: queryPolicyFromConfig(config),   // shared/db/query-policy.ts
 *   observer: (event) => metrics.push(event),
 * });
 */
export interface QueryOptimizerDeps {
  executor: SqlExecutor;
  cache: TieredCache;
  policy: QueryPolicy;
  observer?: QueryObserver;
  /** Monotonic milliseconds for durations. Default performance.now. */
  now?: () => number;
  /** Epoch milliseconds for event and record timestamps. Default Date.now. */
  wallClock?: () => number;
}
