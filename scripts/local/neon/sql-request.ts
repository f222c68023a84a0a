/**
 * Reads a Neon `/sql` request: the JSON body (single query or batch) and the
 * `Neon-*` headers that shape execution and the reply.
 */
import type { IncomingHttpHeaders } from "node:http";
import { EndpointError } from "./endpoint-error.ts";

export interface SqlQuery {
  query: string;
  params: (string | null)[];
}

export type SqlRequestBody = { kind: "single"; query: SqlQuery } | { kind: "batch"; queries: SqlQuery[] };

export type IsolationLevel = "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable";

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

export interface BatchOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
}

export interface ReplyOptions {
  /** Rows as arrays in column order; otherwise objects keyed by column name. */
  arrayMode: boolean;
  /** Every value as Postgres text output; otherwise simple types become JSON values. */
  rawTextOutput: boolean;
}

/** The client sends JSON without a Content-Type, so the body is parsed whatever it says. */
export function parseSqlBody(text: string): SqlRequestBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new EndpointError(400, "request body is not valid JSON");
  }
  if (!isRecord(body)) throw new EndpointError(400, 'request body must be {"query", "params"} or {"queries": [...]}');
  if ("queries" in body) {
    if (!Array.isArray(body.queries)) throw new EndpointError(400, '"queries" must be an array');
    return { kind: "batch", queries: body.queries.map((entry, i) => parseQuery(entry, `queries[${i}]`)) };
  }
  return { kind: "single", query: parseQuery(body, "body") };
}

function parseQuery(value: unknown, where: string): SqlQuery {
  if (!isRecord(value) || typeof value.query !== "string") {
    throw new EndpointError(400, `${where} must have a string "query"`);
  }
  const params = value.params ?? [];
  if (!Array.isArray(params)) throw new EndpointError(400, `${where}.params must be an array`);
  return { query: value.query, params: params.map((param, i) => parseParam(param, `${where}.params[${i}]`)) };
}

/** The client formats every parameter to text (or null) before sending it. */
function parseParam(value: unknown, where: string): string | null {
  if (value === null || typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new EndpointError(400, `${where} must be a string or null`);
}

export function replyOptions(headers: IncomingHttpHeaders): ReplyOptions {
  return {
    arrayMode: booleanHeader(headers, "neon-array-mode") ?? false,
    rawTextOutput: booleanHeader(headers, "neon-raw-text-output") ?? false,
  };
}

export function batchOptions(headers: IncomingHttpHeaders): BatchOptions {
  const options: BatchOptions = {};
  const isolation = singleHeader(headers, "neon-batch-isolation-level");
  if (isolation !== undefined) {
    if (!(isolation in ISOLATION_SQL)) {
      throw new EndpointError(
        400,
        `Neon-Batch-Isolation-Level must be one of ${Object.keys(ISOLATION_SQL).join(", ")}, got "${isolation}"`,
      );
    }
    options.isolationLevel = isolation as IsolationLevel;
  }
  const readOnly = booleanHeader(headers, "neon-batch-read-only");
  if (readOnly !== undefined) options.readOnly = readOnly;
  const deferrable = booleanHeader(headers, "neon-batch-deferrable");
  if (deferrable !== undefined) options.deferrable = deferrable;
  return options;
}

export function beginStatement(options: BatchOptions): string {
  const modes: string[] = [];
  if (options.isolationLevel !== undefined) modes.push(`ISOLATION LEVEL ${ISOLATION_SQL[options.isolationLevel]}`);
  if (options.readOnly !== undefined) modes.push(options.readOnly ? "READ ONLY" : "READ WRITE");
  if (options.deferrable !== undefined) modes.push(options.deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  return modes.length === 0 ? "BEGIN" : `BEGIN ${modes.join(", ")}`;
}

export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function booleanHeader(headers: IncomingHttpHeaders, name: string): boolean | undefined {
  const value = singleHeader(headers, name);
  if (value === undefined) return undefined;
  const normalised = value.trim().toLowerCase();
  if (normalised === "true") return true;
  if (normalised === "false") return false;
  throw new EndpointError(400, `header ${name} must be true or false, got "${value}"`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
