/**
 * Builds recommended indexes: CREATE INDEX CONCURRENTLY, one at a time, each under its own
 * lock_timeout and statement_timeout, then checks pg_index.indisvalid. A failed concurrent
 * build leaves an INVALID index behind: the one this call just tried to build is dropped, and
 * so is an INVALID index under the advisor's own (deterministic, `_adv`) name that an earlier
 * build left when it died before cleaning up (a crashed run, a lost connection), unless
 * something may still be building it. Other indexes are never touched.
 *
 * CONCURRENTLY cannot run inside a transaction block, so the executor must be a plain
 * session (a `pg` Client, a Neon Pool client), never a transaction or the HTTP driver.
 */
import { quoteIdent } from "./ident.ts";
import { messageOf } from "./workload.ts";
import type { AdvisorOptions, BuildResult, Recommendation, SessionExecutor } from "./types.ts";

interface ExistingIndex {
  valid: boolean;
  bytes: number;
  /** Another session holds SHARE UPDATE EXCLUSIVE on its table: a concurrent build (or a vacuum) may be under way. */
  busy: boolean;
}

async function findIndex(db: SessionExecutor, schema: string, name: string): Promise<ExistingIndex | undefined> {
  const { rows } = await db.query(
    `SELECT x.indisvalid AS valid, pg_relation_size(c.oid)::float8 AS bytes,
            EXISTS (SELECT 1 FROM pg_locks l WHERE l.relation = x.indrelid AND l.mode = 'ShareUpdateExclusiveLock'
                    AND l.pid <> pg_backend_pid()) AS busy
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_index x ON x.indexrelid = c.oid
     WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  const row = rows[0];
  return row === undefined ? undefined : { valid: row.valid === true, bytes: Number(row.bytes), busy: row.busy === true };
}

async function dropIndex(db: SessionExecutor, schema: string, name: string): Promise<boolean> {
  await db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(schema)}.${quoteIdent(name)}`);
  return (await findIndex(db, schema, name)) === undefined;
}

export async function buildIndex(
  db: SessionExecutor,
  recommendation: Recommendation,
  options: Pick<AdvisorOptions, "lockTimeoutMs" | "buildTimeoutMs">,
  now: () => number = () => performance.now(),
): Promise<BuildResult> {
  const { name, ddl, schema } = recommendation;
  const started = now();
  const elapsed = () => Math.round(now() - started);
  const before = await findIndex(db, schema, name);
  // Valid: ours from an earlier run (names are deterministic). INVALID while its table is busy: maybe being built right now.
  if (before !== undefined && (before.valid || before.busy)) {
    return { name, ddl, status: "exists", valid: before.valid, durationMs: elapsed(), sizeBytes: before.bytes };
  }
  const replacedLeftover = before !== undefined && (await dropIndex(db, schema, name));
  if (before !== undefined && !replacedLeftover) {
    return { name, ddl, status: "failed", valid: false, durationMs: elapsed(), sizeBytes: null, error: "an INVALID leftover of an earlier build is in the way and could not be dropped" };
  }
  await db.query(`SET lock_timeout = ${Math.trunc(options.lockTimeoutMs)}`);
  await db.query(`SET statement_timeout = ${Math.trunc(options.buildTimeoutMs)}`);
  let error: string | undefined;
  try {
    await db.query(ddl);
  } catch (cause) {
    error = messageOf(cause);
  } finally {
    await db.query("RESET lock_timeout").catch(() => undefined);
    await db.query("RESET statement_timeout").catch(() => undefined);
  }
  const after = await findIndex(db, schema, name);
  const leftover = replacedLeftover ? { replacedLeftover } : {};
  if (error === undefined && after?.valid === true) {
    return { name, ddl, status: "created", valid: true, durationMs: elapsed(), sizeBytes: after.bytes, ...leftover };
  }
  const cleanedUp = after === undefined ? false : await dropIndex(db, schema, name);
  return {
    name,
    ddl,
    status: "failed",
    valid: false,
    durationMs: elapsed(),
    sizeBytes: null,
    error: error ?? "the build finished but the index is not valid",
    cleanedUp,
    ...leftover,
  };
}

/** Builds each recommendation in turn; one failure does not stop the others. */
export async function applyRecommendations(
  db: SessionExecutor,
  recommendations: readonly Recommendation[],
  options: Pick<AdvisorOptions, "lockTimeoutMs" | "buildTimeoutMs">,
  now?: () => number,
): Promise<BuildResult[]> {
  const results: BuildResult[] = [];
  for (const recommendation of recommendations) results.push(await buildIndex(db, recommendation, options, now));
  return results;
}
