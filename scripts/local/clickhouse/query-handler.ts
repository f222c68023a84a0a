/**
 * One query request, start to finish: read and parse it, authenticate, refuse
 * what a server refuses (empty SQL, several statements, writes under readonly
 * or over GET), run it on the engine and reply.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RawInsertFormat } from "chdb";
import type { ChdbEngine, DataInsert, EngineQuery } from "./engine.ts";
import { ClickHouseHttpError, ErrorCode, fromEngineError } from "./errors.ts";
import { SERVER_DEFAULT_FORMAT } from "./formats.ts";
import { sendError, sendResult } from "./reply.ts";
import { parseRequest, requestQueryId, type ClickHouseRequest, type Credentials } from "./request.ts";
import { READ_ONLY_KEYWORDS, scanSql, type SqlShape } from "./sql-scan.ts";

export interface QueryHandlerContext {
  engine: ChdbEngine;
  user: string;
  password: string;
}

export async function handleQuery(req: IncomingMessage, res: ServerResponse, url: URL, ctx: QueryHandlerContext): Promise<void> {
  let queryId: string | undefined;
  try {
    queryId = requestQueryId(url, req.headers);
    const request = parseRequest(url, req.headers, await readBody(req));
    queryId = request.queryId;
    authenticate(request.credentials, ctx);
    const shape = scanSql(request.sql);
    const engineQuery = toEngineQuery(request, shape, req.method ?? "GET");
    const result = await ctx.engine.run(engineQuery);
    sendResult(res, req.headers, result, {
      queryId,
      format: engineQuery.format,
      timezone: ctx.engine.timezone,
      compress: request.httpCompression,
      headOnly: req.method === "HEAD",
    });
  } catch (error) {
    const failure = fromEngineError(error);
    if (failure.code === ErrorCode.STD_EXCEPTION) console.error("clickhouse endpoint: unexpected failure:", error);
    sendError(res, failure, queryId, ctx.engine.version);
  }
}

function toEngineQuery(request: ClickHouseRequest, shape: SqlShape, method: string): EngineQuery {
  if (shape.firstKeyword === "") throw ClickHouseHttpError.of("SYNTAX_ERROR", "Empty query");
  if (shape.multiStatement) throw ClickHouseHttpError.of("SYNTAX_ERROR", "Syntax error (Multi-statements are not allowed)");
  const settings = new Map(request.settings);
  const readonly = readonlyLevel(settings, method);
  settings.delete("readonly");
  if (readonly > 0) enforceReadonly(readonly, shape, settings, method);
  return {
    sql: request.sql,
    format: shape.outputFormat ?? request.defaultFormat ?? SERVER_DEFAULT_FORMAT,
    database: request.database,
    settings,
    params: request.params,
    changesSession: shape.firstKeyword === "SET" || shape.firstKeyword === "USE",
    isInsert: shape.firstKeyword === "INSERT",
    ...dataInsert(request),
  };
}

/** chdb's raw insert formats (it refuses others); anything else takes the general path. */
const RAW_INSERT_FORMATS = new Set<RawInsertFormat>(["JSONEachRow", "JSONCompactEachRow", "TSV", "TabSeparated", "TSVWithNames", "TabSeparatedWithNames", "CSV", "CSVWithNames"]);
const IDENTIFIER = "[A-Za-z_][A-Za-z0-9_]*";
const DATA_INSERT = new RegExp(`^\\s*INSERT\\s+INTO\\s+(${IDENTIFIER}(?:\\.${IDENTIFIER})?)\\s*(?:\\(\\s*(${IDENTIFIER}(?:\\s*,\\s*${IDENTIFIER})*)\\s*\\))?\\s*FORMAT\\s+(${IDENTIFIER})\\s*$`, "i");

/** The request as a DataInsert when it is exactly the official client's insert form. */
export function dataInsert(request: Pick<ClickHouseRequest, "statementAndData">): { dataInsert?: DataInsert } {
  if (request.statementAndData === undefined) return {};
  const match = DATA_INSERT.exec(request.statementAndData.statement);
  const format = match?.[3] as RawInsertFormat | undefined;
  if (match === null || format === undefined || !RAW_INSERT_FORMATS.has(format)) return {};
  const columns = match[2]?.split(",").map((c) => c.trim());
  return { dataInsert: { table: match[1]!, columns, format, data: request.statementAndData.data } };
}

/**
 * `readonly` cannot be a session setting here (once set, the session could not
 * reset it), so it is enforced by statement kind. GET implies readonly=2, as on
 * the server.
 */
function readonlyLevel(settings: ReadonlyMap<string, string>, method: string): number {
  const raw = settings.get("readonly");
  const level = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(level) || level < 0 || level > 2) {
    throw ClickHouseHttpError.of("BAD_ARGUMENTS", `Invalid value '${raw}' for setting 'readonly' (0, 1 or 2)`);
  }
  return method === "GET" && level === 0 ? 2 : level;
}

function enforceReadonly(level: number, shape: SqlShape, settings: ReadonlyMap<string, string>, method: string): void {
  const [changed] = settings.keys();
  if (level === 1 && changed !== undefined) {
    throw ClickHouseHttpError.of("READONLY", `Cannot modify '${changed}' setting in readonly mode`);
  }
  if (!READ_ONLY_KEYWORDS.has(shape.firstKeyword) || (level === 1 && shape.firstKeyword === "SET")) {
    const hint = method === "GET" ? ". For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries" : "";
    throw ClickHouseHttpError.of("READONLY", `Cannot execute query in readonly mode${hint}`);
  }
}

function authenticate(credentials: Credentials, ctx: QueryHandlerContext): void {
  if (credentials.user !== ctx.user || !sameSecret(credentials.password, ctx.password)) {
    throw ClickHouseHttpError.of(
      "AUTHENTICATION_FAILED",
      `${credentials.user}: Authentication failed: password is incorrect, or there is no user with such name`,
    );
  }
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
