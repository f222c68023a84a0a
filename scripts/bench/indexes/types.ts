/** What the index benchmark needs from a workload: its database, its statements and its right answer. */
import type pg from "pg";

export interface Statement {
  name: string;
  sql: string;
  params: (i: number) => unknown[];
  /** A write: measured for write latency, not counted in the read speedup. */
  write?: boolean;
}

/** One index of the right answer, matched against a recommendation by its shape. */
export interface RightIndex {
  name: string;
  table: string;
  /** The recommendation's key list must start with these keys (expressions as Postgres deparses them). */
  leading: string[];
  patternOps?: boolean;
  /** The partial predicate, when the right index is partial. */
  where?: string;
}

export interface BenchWorkload {
  /** Database-independent setup: tables, data, trap indexes; returns facts for the report. */
  setup(client: pg.Client, url: string): Promise<Record<string, number>>;
  statements(client: pg.Client): Promise<Statement[]>;
  right: RightIndex[];
}
