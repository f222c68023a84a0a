/**
 * The query optimizer: reads through the tiered cache when the SQL analysis says
 * they are certain, non-volatile reads; writes and transactions that invalidate
 * every table they wrote before they resolve; stats, slow queries and events for
 * every statement. Create one per isolate (it owns the parse cache and the stats).
 *
 * @example
 * const optimizer = createQueryOptimizer({ executor, cache, policy });
 * await optimizer.write("update users set role = $1 where id = $2", ["admin", 7]);
 * const { rows, tier } = await optimizer.read("select role from users where id = $1", [7]); // fresh: tier "miss"
 */
import { encodeParams } from "./query-params.ts";
import { QueryRecorder } from "./query-recorder.ts";
import {
  NotAReadError,
  QueryError,
  WriteTablesUnknownError,
  type ExecutedStatement,
  type OptimizerStatsSnapshot,
  type QueryOptimizer,
  type QueryOptimizerDeps,
  type QueryResult,
  type QueryTier,
  type ReadContext,
  type ReadOptions,
  type TransactionClient,
  type WriteOptions,
} from "./query-types.ts";
import { toQueryError } from "./executor.ts";
import { StatementCatalog, type CatalogEntry } from "./statement-catalog.ts";
import { readTagsFor, writeTags } from "./cache-tags.ts";
import { rowKey, rowTag } from "./row-bounds.ts";
import { RowReadRegistry } from "./row-refresh.ts";

/**
 * The tags a write invalidates: the rows or tables the parser found (./cache-tags.ts) plus the
 * caller's tags; refuses blind writes. rows: the result, or undefined when the outcome is unknown.
 */
function tagsWritten(entry: CatalogEntry, params: readonly unknown[], rows: readonly unknown[] | undefined, opts: WriteOptions | undefined): string[] {
  const extra = opts?.tags ?? [];
  const written = writeTags(entry, params, rows);
  return extra.length === 0 ? written : [...written, ...extra];
}

function refuseBlindWrite(entry: CatalogEntry, opts: WriteOptions | undefined): void {
  if (!entry.analysis.certain && (opts?.tags ?? []).length === 0 && entry.analysis.kind !== "read") throw new WriteTablesUnknownError();
}

/**
 * A database failure whose outcome the client cannot know (the connection broke;
 * the commit may have happened). Invalidating then costs a miss; not doing it could
 * serve stale data. An error thrown by the caller's own code is not one.
 */
function outcomeUnknown(error: unknown): boolean {
  return error instanceof QueryError && error.code === "db_unavailable";
}

export function createQueryOptimizer(deps: QueryOptimizerDeps): QueryOptimizer {
  const { executor, cache, policy } = deps;
  const now = deps.now ?? (() => performance.now());
  const wallClock = deps.wallClock ?? Date.now;
  const catalog = new StatementCatalog(policy);
  const recorder = new QueryRecorder(policy, executor, deps.observer, wallClock);
  const pointReads = policy.refreshAfterWriteReads > 0 ? new RowReadRegistry(policy.refreshAfterWriteReads) : undefined;
  const refreshes = { started: 0, failed: 0 };

  /**
   * Records the call and returns its duration. Synchronous on the hot path; only a
   * plan fetch for a slow query is asynchronous: it goes to waitUntil, or is
   * awaited when there is none.
   */
  function finish(
    entry: CatalogEntry,
    sql: string,
    params: readonly unknown[],
    started: { at: number; t0: number },
    outcome: { rows: number; tier: QueryTier; dbMs: number; error?: string },
    ctx: ReadContext | undefined,
  ): number | Promise<number> {
    const durationMs = now() - started.t0;
    const pending = recorder.record({
      entry,
      sql,
      params,
      durationMs,
      at: started.at,
      ...outcome,
      ...(ctx?.requestId === undefined ? {} : { requestId: ctx.requestId }),
    });
    if (pending === undefined) return durationMs;
    if (ctx?.waitUntil !== undefined) {
      ctx.waitUntil(pending);
      return durationMs;
    }
    return pending.then(() => durationMs);
  }

  /**
   * Bumps the written tags and hands the versions Redis gave them to the request (its consistency
   * token); then re-reads, in the background, the point reads cached here for rows it wrote.
   */
  async function invalidateFor(tags: readonly string[], ctx: ReadContext | undefined): Promise<void> {
    if (tags.length === 0) return;
    const versions = await cache.invalidate(tags);
    if (versions.size > 0) ctx?.wrote?.(versions);
    refreshRows(tags, ctx);
  }

  /** Refresh after write (./row-refresh.ts): best effort, never delays or fails the write. */
  function refreshRows(tags: readonly string[], ctx: ReadContext | undefined): void {
    const reads = pointReads?.readsFor(tags) ?? [];
    if (reads.length === 0) return;
    // Not the writer's token or callback: a refresh is the isolate's read, not the client's.
    const own: ReadContext = ctx?.waitUntil === undefined ? {} : { waitUntil: (p) => ctx.waitUntil!(p) };
    const done = Promise.all(
      reads.map((r) => {
        refreshes.started++;
        return read(r.sql, r.params, r.options, own).catch(() => void refreshes.failed++);
      }),
    );
    ctx?.waitUntil?.(done);
  }

  /** Remembers a point read this isolate just cached, for refresh after write. */
  function rememberPointRead(entry: CatalogEntry, key: string, sql: string, params: readonly unknown[], opts: ReadOptions): void {
    const row = entry.analysis.rowRead;
    if (pointReads === undefined || row === undefined) return;
    const id = rowKey(params[row.param]);
    if (id !== undefined) pointReads.remember(key, rowTag(row.table, id), { sql, params, options: opts });
  }

  /** Runs the statement against the database, timing it; errors become typed QueryErrors. */
  async function execute<Row>(
    entry: CatalogEntry,
    sql: string,
    params: readonly unknown[],
    readOnly: boolean,
    ctx: ReadContext | undefined,
    afterSuccess?: (result: ExecutedStatement<Row>) => Promise<void>,
    afterUnknownOutcome?: () => Promise<void>,
  ): Promise<QueryResult<Row>> {
    const started = { at: wallClock(), t0: now() };
    let result: ExecutedStatement<Row>;
    try {
      result = await executor.run<Row>(sql, params, { readOnly });
    } catch (error) {
      const dbMs = now() - started.t0;
      const typed = toQueryError(error);
      if (afterUnknownOutcome !== undefined && outcomeUnknown(typed)) await afterUnknownOutcome();
      await finish(entry, sql, params, started, { rows: 0, tier: "bypass", dbMs, error: typed.code }, ctx);
      throw typed;
    }
    const dbMs = now() - started.t0;
    if (afterSuccess !== undefined) await afterSuccess(result);
    const durationMs = await finish(entry, sql, params, started, { rows: result.rowCount, tier: "bypass", dbMs }, ctx);
    return { ...result, tier: "bypass", durationMs, dbMs, fingerprint: entry.fp.fingerprint };
  }

  async function read<Row>(
    sql: string,
    params: readonly unknown[],
    opts: ReadOptions = {},
    ctx?: ReadContext,
  ): Promise<QueryResult<Row>> {
    const entry = catalog.get(sql);
    const { analysis } = entry;
    if (analysis.kind !== "read") throw new NotAReadError(analysis.kind);
    if (!analysis.cacheable || opts.cache === false) return execute<Row>(entry, sql, params, false, ctx);

    const started = { at: wallClock(), t0: now() };
    const ttlSeconds = opts.ttlSeconds ?? policy.ttlSeconds[opts.queryClass ?? entry.queryClass];
    const tags = readTagsFor(entry, params, opts.tags);
    const key = entry.keyPrefix + encodeParams(params);
    let loaded: ExecutedStatement<Row>;
    let tier: QueryTier;
    let dbMs: number;
    try {
      const cached = await cache.read<ExecutedStatement<Row>>(
        key,
        tags,
        async () => {
          try {
            return await executor.run<Row>(sql, params, { readOnly: true });
          } catch (error) {
            throw toQueryError(error);
          }
        },
        opts.swrSeconds === undefined ? { ttlSeconds } : { ttlSeconds, swrSeconds: opts.swrSeconds },
        ctx,
      );
      loaded = cached.value;
      tier = cached.tier;
      dbMs = cached.loadMs;
      if (tier === "miss" || tier === "l2") rememberPointRead(entry, key, sql, params, opts);
    } catch (error) {
      const typed = toQueryError(error);
      const failedMs = now() - started.t0;
      await finish(entry, sql, params, started, { rows: 0, tier: "miss", dbMs: failedMs, error: typed.code }, ctx);
      throw typed;
    }
    const done = finish(entry, sql, params, started, { rows: loaded.rowCount, tier, dbMs }, ctx);
    const durationMs = typeof done === "number" ? done : await done;
    return { rows: loaded.rows, rowCount: loaded.rowCount, tier, durationMs, dbMs, fingerprint: entry.fp.fingerprint };
  }

  async function write<Row>(
    sql: string,
    params: readonly unknown[],
    opts?: WriteOptions,
    ctx?: ReadContext,
  ): Promise<QueryResult<Row>> {
    const entry = catalog.get(sql);
    refuseBlindWrite(entry, opts);
    return execute<Row>(
      entry,
      sql,
      params,
      false,
      ctx,
      (result) => invalidateFor(tagsWritten(entry, params, result.rows, opts), ctx),
      () => invalidateFor(tagsWritten(entry, params, undefined, opts), ctx),
    );
  }

  async function transaction<T>(fn: (tx: TransactionClient) => Promise<T>, ctx?: ReadContext): Promise<T> {
    const written = new Set<string>();
    let result: T;
    try {
      result = await executor.transaction(async (inner) => {
        const tx: TransactionClient = {
          async query<Row>(sql: string, params: readonly unknown[] = [], opts?: WriteOptions) {
            const entry = catalog.get(sql);
            refuseBlindWrite(entry, opts);
            const started = { at: wallClock(), t0: now() };
            try {
              const out = await inner.query<Row>(sql, params);
              for (const tag of tagsWritten(entry, params, out.rows, opts)) written.add(tag);
              await finish(entry, sql, params, started, { rows: out.rowCount, tier: "bypass", dbMs: now() - started.t0 }, ctx);
              return out;
            } catch (error) {
              // The transaction may yet commit what it did before; this statement's rows are unknown.
              for (const tag of tagsWritten(entry, params, undefined, opts)) written.add(tag);
              const code = toQueryError(error).code;
              await finish(entry, sql, params, started, { rows: 0, tier: "bypass", dbMs: now() - started.t0, error: code }, ctx);
              throw error;
            }
          },
        };
        return fn(tx);
      }, ctx);
    } catch (error) {
      if (written.size > 0 && outcomeUnknown(error)) await invalidateFor([...written], ctx);
      throw error;
    }
    if (written.size > 0) await invalidateFor([...written], ctx);
    return result;
  }

  function stats(): OptimizerStatsSnapshot {
    return { ...recorder.snapshot(), refreshAfterWrite: { ...refreshes, remembered: pointReads?.size ?? 0 } };
  }

  return { read, write, transaction, stats };
}
