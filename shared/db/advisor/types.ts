/**
 * The index advisor's contract: the SQL executor it runs on, its options, the report it
 * produces and its typed errors. Types only (plus one error class), so importing it is free.
 */

import type { BuildBaseline, Verification } from "./verify.ts";

/**
 * One database session: a `pg` Client, a Neon Pool client, a test fake. Hypothetical
 * indexes, prepared statements, session settings and the run lock are session state, so
 * every call must reach the same connection (Neon's stateless HTTP `neon()` does not qualify).
 */
export interface SessionExecutor {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface AdvisorOptions {
  /** Statements read from pg_stat_statements, highest total time first. */
  topStatements: number;
  /** A statement must have run at least this often to count as workload. */
  minCalls: number;
  /** ... and taken at least this much time in total (ms). */
  minTotalMs: number;
  /** A safety cap on new indexes per run; what decides is `minBenefitShare` against each index's overhead. */
  maxIndexes: number;
  /** An index must save at least this share of the workload's planner cost (x calls), net of its overhead. */
  minBenefitShare: number;
  /** A candidate must cut a statement's planner cost by at least this fraction to count for it. */
  minImprovement: number;
  /** Planner cost units charged per row written to the table, per extra index (maintenance). */
  writeCostPerRow: number;
  /** Planner cost units charged per 8 KiB page of index size (cache pressure, storage, vacuum). */
  sizeCostPerPage: number;
  /** Mean time (ms) above which a statement is listed as slow. */
  slowStatementMs: number;
  /** Sequential scans reading more tuples than this since the stats reset make a table "heavy". */
  seqScanTupleThreshold: number;
  /** Build the recommended indexes (CREATE INDEX CONCURRENTLY). Off by default. */
  apply: boolean;
  /** lock_timeout for each build (ms): a build never waits long behind a held lock. */
  lockTimeoutMs: number;
  /** statement_timeout for each build (ms). */
  buildTimeoutMs: number;
  now?: () => number;
}

export const DEFAULT_ADVISOR_OPTIONS: Readonly<AdvisorOptions> = Object.freeze({
  topStatements: 50,
  minCalls: 5,
  minTotalMs: 1,
  maxIndexes: 25,
  minBenefitShare: 0.01,
  minImprovement: 0.2,
  writeCostPerRow: 0.05,
  sizeCostPerPage: 0.01,
  slowStatementMs: 100,
  seqScanTupleThreshold: 1_000_000,
  apply: false,
  lockTimeoutMs: 2_000,
  buildTimeoutMs: 600_000,
});

/** How the advisor could see and cost the workload on this database. */
export interface Capabilities {
  pgStatStatements: boolean;
  hypopg: boolean;
  /** "what-if": candidates costed by the planner with hypopg; "rule-based": from the SQL alone; "none": no workload. */
  mode: "what-if" | "rule-based" | "none";
  /** Where pg_stat_statements / the stats were last reset (ISO), when known. */
  statementsResetAt: string | null;
  statsResetAt: string | null;
  notes: string[];
}

export interface WorkloadStatement {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Statements folded into this one by normalisation (same text after collapsing IN lists etc.). */
  variants: number;
  /**
   * Placeholders planned with representative values (the what-if costs that text, which is
   * not kept in the report): where each value came from.
   */
  representative?: string[];
}

/** What the advisor made of one statement: candidates, or why there are none; and what the selection did with it. */
export interface StatementCoverage {
  queryid: string;
  candidates: number;
  /** Why no candidate came from it (null when some did). */
  reason: string | null;
  /** After selection: the recommendations that serve it, or why none does. */
  outcome?: string;
}

/**
 * A B-tree index the advisor could create. A key is an unquoted column name, or an
 * expression in parentheses as Postgres deparses it (`(lower(name))`, `(attrs ->> 'color'::text)`).
 */
export interface IndexCandidate {
  schema: string;
  table: string;
  columns: string[];
  include: string[];
  /** Keys indexed with text_pattern_ops: prefix LIKE under a collation other than C needs it. */
  patternOps?: string[];
  /** Keys stored descending: an ORDER BY that mixes directions (`a, b DESC`) needs them (a uniform one scans backwards). */
  descending?: string[];
  /** A partial index's predicate (a constant condition of the statements it serves, e.g. `NOT archived`). */
  where?: string;
  /** Which clause shapes produced it, e.g. ["eq:user_id", "range:occurred_at"]. */
  reasons: string[];
}

export interface StatementEffect {
  queryid: string;
  query: string;
  calls: number;
  costBefore: number;
  costAfter: number;
}

export interface Recommendation extends IndexCandidate {
  name: string;
  ddl: string;
  /** Planner cost saved x calls, summed over the statements it helps. */
  benefit: number;
  /** Write maintenance + size charge in the same units. */
  overhead: number;
  /** hypopg's size estimate (bytes), null in rule-based mode. */
  estimatedBytes: number | null;
  statements: StatementEffect[];
  /** "what-if": proven by the planner; "rule-based": derived from the SQL without hypopg. */
  evidence: "what-if" | "rule-based";
}

export type FindingKind = "unused_index" | "duplicate_index" | "invalid_index" | "heavy_seq_scan" | "slow_statement" | "missing_statistics";

export interface Finding {
  kind: FindingKind;
  /** Table or index the finding is about (schema-qualified), or the queryid for statements. */
  subject: string;
  message: string;
  /** The numbers behind it: scans, sizes, the covering index, stats age... */
  evidence: Record<string, string | number | boolean | null>;
}

export interface BuildResult {
  name: string;
  ddl: string;
  status: "created" | "exists" | "failed";
  valid: boolean;
  durationMs: number;
  sizeBytes: number | null;
  error?: string;
  /** The failed build's INVALID leftover was dropped. */
  cleanedUp?: boolean;
  /** An INVALID leftover of an earlier build under this name was dropped before building. */
  replacedLeftover?: boolean;
}

export interface AdvisorReport {
  database: string;
  startedAt: string;
  durationMs: number;
  capabilities: Capabilities;
  workload: WorkloadStatement[];
  /** Per statement: candidates or the reason there are none, and the outcome. */
  coverage: StatementCoverage[];
  recommendations: Recommendation[];
  findings: Finding[];
  applied: BuildResult[];
  /**
   * Earlier builds judged by this run (measured before/after, write cost, what was done), and
   * the standing measurements of earlier runs for indexes still in place (`carried`).
   */
  verification: Verification[];
  /** This run's builds (and earlier ones still pending), for a later run to judge. */
  baselines: BuildBaseline[];
  /** Planner evaluations (EXPLAINs) the run made. */
  evaluations: number;
}

export type AdvisorErrorCode = "ADVISOR_LOCKED" | "ADVISOR_QUERY_FAILED" | "ADVISOR_OPTIONS_INVALID";

export class AdvisorError extends Error {
  override readonly name = "AdvisorError";
  constructor(
    readonly code: AdvisorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
