/**
 * The SqlExecutor over @neondatabase/serverless: HTTP neon() for single
 * statements, a WebSocket Pool for interactive transactions. Values always travel
 * as bind parameters, never interpolated into the text.
 *
 * Statement timeout: Neon ignores startup options for statement_timeout (the
 * connection string's `options=-c ...` and pg's `statement_timeout` setting are
 * dropped by its proxy and by PgBouncer in transaction mode), and an HTTP query is
 * a fresh session each time. So every statement runs in a transaction that first
 * does `set_config('statement_timeout', ms, true)` (SET LOCAL): over HTTP as a
 * two-query batch in one round trip, over the Pool right after BEGIN. The same
 * code then holds on real Neon, through its pooler, and on the local endpoint.
 *
 * @example
 * const executor = createNeonExecutor(config.postgres, { statementTimeoutMs: config.query.statementTimeoutMs });
 * const { rows } = await executor.run("select id from users where id = $1", [1], { readOnly: true });
 */
import { NeonDbError, type FullQueryResults, type PoolClient } from "@neondatabase/serverless";
import { createNeonPool, neonSql, type PostgresSettings } from "./neon-client.ts";
import {
  QueryError,
  StatementTimeoutError,
  type ExecutedStatement,
  type ReadContext,
  type SqlExecutor,
  type TransactionClient,
} from "./query-types.ts";

export interface ExecutorOptions {
  statementTimeoutMs: number;
}

const SET_TIMEOUT = "select set_config('statement_timeout', $1, true)";
const QUERY_CANCELED = "57014";
/** The HTTP request itself is abandoned a little after the server should have cancelled the statement. */
const FETCH_GRACE_MS = 5_000;

/** Maps driver errors to the optimizer's typed errors; QueryErrors pass through. */
export function toQueryError(error: unknown): QueryError {
  if (error instanceof QueryError) return error;
  const code = sqlStateOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === QUERY_CANCELED) return new StatementTimeoutError(message, { cause: error });
  if (code !== undefined && unavailable(code)) return new QueryError("db_unavailable", message, code, { cause: error });
  if (code !== undefined) return new QueryError("db_error", message, code, { cause: error });
  return new QueryError("db_unavailable", message, undefined, { cause: error });
}

/**
 * Server states, not statement errors: the connection failed (class 08), the server is
 * shutting down, starting up or restarting (57P01-57P03, e.g. "the database system is
 * shutting down" during a restart), or it has no connection slot left (53300). A client
 * may retry these (503); as a write's outcome they are unknown.
 */
function unavailable(sqlState: string): boolean {
  return sqlState.startsWith("08") || sqlState === "57P01" || sqlState === "57P02" || sqlState === "57P03" || sqlState === "53300";
}

/** The SQLSTATE of a Postgres error from either transport (HTTP NeonDbError, WebSocket pg DatabaseError). */
function sqlStateOf(error: unknown): string | undefined {
  if (error instanceof NeonDbError) return error.code;
  if (error instanceof Error && "code" in error && typeof error.code === "string" && /^[0-9A-Z]{5}$/.test(error.code)) {
    return error.code;
  }
  return undefined;
}

function executed<Row>(result: FullQueryResults<false> | undefined): ExecutedStatement<Row> {
  const rows = (result?.rows ?? []) as Row[];
  return { rows, rowCount: result?.rowCount ?? rows.length };
}

/** A transaction client whose errors are the optimizer's typed errors. */
function transactionClient(client: PoolClient): TransactionClient {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      try {
        const result = await client.query(sql, params as unknown[]);
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
      } catch (error) {
        throw toQueryError(error);
      }
    },
  };
}

export function createNeonExecutor(settings: PostgresSettings, options: ExecutorOptions): SqlExecutor {
  const timeout = String(options.statementTimeoutMs);
  const fetchTimeoutMs = options.statementTimeoutMs + FETCH_GRACE_MS;

  async function run<Row>(sql: string, params: readonly unknown[], opts: { readOnly: boolean }) {
    const neon = neonSql(settings);
    try {
      const results = await neon.transaction(
        [neon.query(SET_TIMEOUT, [timeout]), neon.query(sql, params as unknown[])],
        { fullResults: true, readOnly: opts.readOnly, fetchOptions: { signal: AbortSignal.timeout(fetchTimeoutMs) } },
      );
      return executed<Row>(results[1]);
    } catch (error) {
      throw toQueryError(error);
    }
  }

  async function transaction<T>(fn: (tx: TransactionClient) => Promise<T>, ctx?: ReadContext): Promise<T> {
    const pool = createNeonPool(settings);
    let client: PoolClient | undefined;
    try {
      client = await pool.connect().catch((error: unknown) => {
        throw toQueryError(error);
      });
      const tx = transactionClient(client);
      await tx.query("BEGIN");
      await tx.query(SET_TIMEOUT, [timeout]);
      try {
        const result = await fn(tx);
        await tx.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    } finally {
      client?.release();
      // A Worker cannot keep sockets across requests: the pool ends with this call.
      const ended = pool.end().catch(() => undefined);
      if (ctx?.waitUntil !== undefined) ctx.waitUntil(ended);
      else await ended;
    }
  }

  async function explain(sql: string, params: readonly unknown[]): Promise<unknown> {
    // Without ANALYZE nothing executes; READ ONLY makes sure of it.
    const { rows } = await run<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) ${sql}`, params, { readOnly: true });
    return rows[0]?.["QUERY PLAN"];
  }

  return { run, transaction, explain };
}
