/**
 * What the advisor can see: which extensions it has, and the workload from
 * pg_stat_statements (this database only: the view is per cluster), normalised and grouped.
 */
import type { AdvisorOptions, Capabilities, SessionExecutor, WorkloadStatement } from "./types.ts";

const PG_STAT_STATEMENTS_FIX =
  "add pg_stat_statements to shared_preload_libraries, restart, then CREATE EXTENSION pg_stat_statements " +
  "(on Neon: CREATE EXTENSION pg_stat_statements; it is preloaded)";
const HYPOPG_FIX = "CREATE EXTENSION hypopg (install the hypopg package for the server version first)";

/** Which extensions exist in this database and whether pg_stat_statements is actually readable. */
export async function detectCapabilities(db: SessionExecutor): Promise<Capabilities> {
  const { rows } = await db.query(
    "SELECT extname FROM pg_extension WHERE extname IN ('pg_stat_statements', 'hypopg')",
  );
  const names = new Set(rows.map((row) => String(row.extname)));
  const notes: string[] = [];
  let pgStatStatements = names.has("pg_stat_statements");
  let statementsResetAt: string | null = null;
  if (pgStatStatements) {
    try {
      // Fails when the library is not preloaded even though the extension exists.
      const info = await db.query("SELECT stats_reset FROM pg_stat_statements_info");
      statementsResetAt = toIso(info.rows[0]?.stats_reset);
    } catch (error) {
      pgStatStatements = false;
      notes.push(`pg_stat_statements is installed but not readable (${messageOf(error)}): ${PG_STAT_STATEMENTS_FIX}`);
    }
  } else {
    notes.push(`pg_stat_statements is not available, so the workload cannot be seen: ${PG_STAT_STATEMENTS_FIX}`);
  }
  const hypopg = names.has("hypopg");
  if (!hypopg) {
    notes.push(`hypopg is not available: recommendations are rule-based (from the SQL), not proven by the planner. Fix: ${HYPOPG_FIX}`);
  }
  const stats = await db.query("SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()");
  const statsResetAt = toIso(stats.rows[0]?.stats_reset);
  const mode = !pgStatStatements ? "none" : hypopg ? "what-if" : "rule-based";
  return { pgStatStatements, hypopg, mode, statementsResetAt, statsResetAt, notes };
}

function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Statements the advisor must not tune: its own probes, catalogs, utility commands. */
const IGNORED = [
  /\bpg_stat_statements\b/i,
  // hypopg_create_index(...) and friends: the advisor's own probes (\bhypopg\b alone misses them).
  /\bhypopg(_\w+)?\b/i,
  /\bpg_catalog\./i,
  /\binformation_schema\./i,
  /\bpg_(class|index|namespace|attribute|am|constraint|extension|stat_\w+|locks|settings|database)\b/i,
  /^\s*(BEGIN|COMMIT|ROLLBACK|SET|SHOW|RESET|PREPARE|EXECUTE|DEALLOCATE|EXPLAIN|ANALYZE|VACUUM|CREATE|DROP|ALTER|COPY|GRANT|REVOKE|COMMENT|TRUNCATE|LISTEN|NOTIFY|DISCARD|DO|SAVEPOINT|RELEASE|LOCK)\b/i,
  /\bschema_migrations\b/i,
  /netra-advisor sample/,
];

/**
 * Normalises statement text so variants group: whitespace collapsed, IN lists and VALUES
 * rows of placeholders folded (pg_stat_statements gives `IN ($1, $2)` and `IN ($1, $2, $3)`
 * different queryids).
 */
export function normaliseStatement(query: string): string {
  return query
    .replace(/\s+/g, " ")
    .replace(/\(\s*\$\d+(?:\s*,\s*\$\d+)+\s*\)/g, "($1)")
    .trim()
    .replace(/;$/, "");
}

/** The top statements of this database by total execution time, above the thresholds. */
export async function readWorkload(db: SessionExecutor, options: AdvisorOptions): Promise<WorkloadStatement[]> {
  const { rows } = await db.query(
    `SELECT queryid::text AS queryid, query, calls::float8 AS calls, total_exec_time::float8 AS total_ms,
            rows::float8 AS rows
     FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       -- Top-level only: with pg_stat_statements.track = all, EXPLAINs (the advisor's own) and
       -- function bodies add nested entries under the same queryid with no execution time.
       AND toplevel
       AND calls >= $1 AND total_exec_time >= $2
     ORDER BY total_exec_time DESC
     LIMIT $3`,
    [options.minCalls, options.minTotalMs, options.topStatements * 4],
  );
  const grouped = new Map<string, WorkloadStatement>();
  for (const row of rows) {
    const query = String(row.query);
    if (IGNORED.some((pattern) => pattern.test(query))) continue;
    const text = normaliseStatement(query);
    const calls = Number(row.calls);
    const totalMs = Number(row.total_ms);
    const existing = grouped.get(text);
    if (existing) {
      existing.calls += calls;
      existing.totalMs += totalMs;
      existing.rows += Number(row.rows);
      existing.meanMs = existing.totalMs / existing.calls;
      existing.variants += 1;
      continue;
    }
    grouped.set(text, {
      queryid: String(row.queryid),
      query,
      calls,
      totalMs,
      meanMs: totalMs / Math.max(calls, 1),
      rows: Number(row.rows),
      variants: 1,
    });
  }
  return [...grouped.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, options.topStatements);
}
