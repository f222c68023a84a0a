/**
 * Runs one `/sql` request on a pooled connection: a single query, or a batch as one
 * transaction that commits only if every statement succeeds.
 */
import type { PoolClient, QueryArrayConfig } from "pg";
import { sendCancelRequest } from "./cancel-request.ts";
import type { ConnectionTarget } from "./connection-target.ts";
import { EndpointError } from "./endpoint-error.ts";
import type { PgPools } from "./pg-pools.ts";
import { isDatabaseError, toWireResult, type TextResult, type WireResult } from "./sql-reply.ts";
import {
  beginStatement,
  type BatchOptions,
  type ReplyOptions,
  type SqlQuery,
  type SqlRequestBody,
} from "./sql-request.ts";

export interface SqlExecution {
  target: ConnectionTarget;
  body: SqlRequestBody;
  batch: BatchOptions;
  reply: ReplyOptions;
  /** Aborts when the HTTP caller goes away; the running statement is then cancelled. */
  signal: AbortSignal;
}

export type SqlResponse = WireResult | { results: WireResult[] };

export async function executeSql(pools: PgPools, execution: SqlExecution): Promise<SqlResponse> {
  const { target, body, batch, reply, signal } = execution;
  let client: PoolClient;
  try {
    client = await pools.get(target.connectionString).connect();
  } catch (err) {
    pools.forgetIfUnused(target.connectionString);
    throw err;
  }
  const cancel = () => {
    const key = backendKey(client);
    if (key !== undefined) void sendCancelRequest(target, key.processID, key.secretKey);
  };
  signal.addEventListener("abort", cancel, { once: true });
  // pg emits 'error' on a checked-out client whose connection dies while no query is
  // running on it (between two statements of a batch, say, when Postgres shuts down).
  // The pool listens only to idle clients: unheard, that error would end this process.
  let connectionLost = false;
  const onConnectionError = () => {
    connectionLost = true;
  };
  client.on("error", onConnectionError);
  let healthy = true;
  try {
    if (signal.aborted) throw new EndpointError(499, "client closed request");
    if (body.kind === "single") return toWireResult(await runQuery(client, body.query), reply);
    return { results: await runBatch(client, body.queries, batch, reply) };
  } catch (err) {
    healthy = (isDatabaseError(err) && !endsSession(err)) || err instanceof EndpointError;
    throw err;
  } finally {
    signal.removeEventListener("abort", cancel);
    client.off("error", onConnectionError);
    // A connection left inside a transaction (a lone BEGIN, a failed ROLLBACK) must not
    // carry that state into another caller's request.
    client.release(!healthy || connectionLost || client.getTransactionStatus() !== "I");
  }
}

/** Errors after which the server closes the session: connection failures and shutdowns (57P01-57P03). */
function endsSession(err: { code?: string | undefined }): boolean {
  const code = err.code ?? "";
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03";
}

async function runBatch(
  client: PoolClient,
  queries: SqlQuery[],
  batch: BatchOptions,
  reply: ReplyOptions,
): Promise<WireResult[]> {
  await client.query(beginStatement(batch));
  try {
    const results: WireResult[] = [];
    for (const query of queries) results.push(toWireResult(await runQuery(client, query), reply));
    await client.query("COMMIT");
    return results;
  } catch (err) {
    if (client.getTransactionStatus() !== "I") await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/**
 * Always the extended protocol, as Neon uses: one statement per query, even without
 * parameters, so a multi-statement string fails here as it does in production.
 */
async function runQuery(client: PoolClient, query: SqlQuery): Promise<TextResult> {
  const config: QueryArrayConfig<(string | null)[]> & { queryMode: "extended" } = {
    text: query.query,
    values: query.params,
    rowMode: "array",
    queryMode: "extended",
  };
  const result = await client.query<(string | null)[]>(config);
  return { command: result.command, rowCount: result.rowCount, fields: result.fields, rows: result.rows };
}

/** pg keeps the BackendKeyData it received on the client but does not declare it in its types. */
function backendKey(client: PoolClient): { processID: number; secretKey: number } | undefined {
  const { processID, secretKey } = client as unknown as { processID?: unknown; secretKey?: unknown };
  return typeof processID === "number" && typeof secretKey === "number" ? { processID, secretKey } : undefined;
}
