/**
 * `POST /sql`: the HTTP half of the local Neon endpoint, serving `neon()` queries and
 * `sql.transaction()` batches. Every failure is answered as JSON; nothing a caller
 * sends can throw out of here.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { connectionTarget } from "./connection-target.ts";
import { EndpointError } from "./endpoint-error.ts";
import type { PgPools } from "./pg-pools.ts";
import { executeSql } from "./sql-executor.ts";
import { isDatabaseError, toWireError } from "./sql-reply.ts";
import { batchOptions, parseSqlBody, replyOptions, singleHeader } from "./sql-request.ts";

export const SQL_PATH = "/sql";

/** Neon's own limit on a request body. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface SqlHandlerOptions {
  pools: PgPools;
  /** Waited before each request is handled, to simulate a remote database. */
  delayMs: number;
}

export function createSqlHandler(options: SqlHandlerOptions) {
  return async function handleSql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      const text = await readBody(req);
      if (options.delayMs > 0) await sleep(options.delayMs);
      const body = parseSqlBody(text);
      const target = connectionTarget(singleHeader(req.headers, "neon-connection-string"));
      const result = await executeSql(options.pools, {
        target,
        body,
        batch: body.kind === "batch" ? batchOptions(req.headers) : {},
        reply: replyOptions(req.headers),
        signal: abort.signal,
      });
      sendJson(res, 200, result);
    } catch (err) {
      if (isDatabaseError(err)) sendJson(res, 400, toWireError(err));
      else if (err instanceof EndpointError) sendJson(res, err.status, { message: err.message });
      else sendJson(res, 502, { message: `could not reach postgres: ${errorMessage(err)}` });
    }
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new EndpointError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(errorMessage).join("; ");
  return err instanceof Error ? err.message : String(err);
}
