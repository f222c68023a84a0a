/**
 * The cache benchmark's data: a throwaway Postgres database (migrated, seeded with
 * users, dropped afterwards), so pg_stat_statements counts only this run and the
 * Redis namespace (derived from the database) starts empty.
 */
import pg from "pg";
import { createMigratedDatabase } from "../lib/throwaway-database.ts";

export interface BenchDatabase {
  url: string;
  /** Ids of the seeded users, ascending. */
  userIds: string[];
  /** Calls of the user-by-id statement recorded by pg_stat_statements in this database. */
  byIdCalls(): Promise<number>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(users: number): Promise<BenchDatabase> {
  const database = await createMigratedDatabase("netra_bench_cache");
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO users (email, display_name, plan_tier, role)
     SELECT 'bench-' || g || '@example.test', 'Bench user ' || g, (ARRAY['free','pro','team','enterprise'])[1 + g % 4], 'member'
     FROM generate_series(1, $1::int) AS g RETURNING id::text AS id`,
    [users],
  );
  await db.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  return {
    url: database.url,
    userIds: rows.map((r) => r.id),
    async byIdCalls() {
      const result = await db.query<{ calls: string }>(
        `SELECT coalesce(sum(calls), 0)::text AS calls FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query ILIKE '%FROM users WHERE id = $1%'`,
      );
      return Number(result.rows[0]!.calls);
    },
    async drop() {
      await db.end();
      await database.drop();
    },
  };
}

/** p in [0, 1] of an ascending array (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function summary(samples: readonly number[]): { n: number; p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}
