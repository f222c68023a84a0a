/**
 * Reads a ClickHouse HTTP request the way the server's HTTPHandler does: the
 * SQL is the `query` parameter, a line break and the body (for inserts the body
 * is the data); every other URL parameter or form field is a setting, except
 * `param_<name>` (query parameters), `database`, `default_format` and the
 * transport's own reserved names.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { ClickHouseHttpError } from "./errors.ts";
import { multipartBoundary, parseMultipart } from "./multipart.ts";

export interface ClickHouseRequest {
  /** Full SQL text, inline insert data included. */
  sql: string;
  /** When the body is an INSERT's data (no multipart form): the statement and the data apart. */
  statementAndData?: { statement: string; data: string };
  queryId: string;
  database: string | undefined;
  defaultFormat: string | undefined;
  /** Settings in arrival order, values as sent (text). */
  settings: Map<string, string>;
  /** Query parameters by name (without `param_`), values exactly as sent. */
  params: Map<string, string>;
  credentials: Credentials;
  /** `enable_http_compression=1`: the response may be compressed per Accept-Encoding. */
  httpCompression: boolean;
}

export interface Credentials {
  user: string;
  password: string;
}

/** Transport parameters, never settings (HTTPHandler's reserved_param_names, plus `role`). */
const RESERVED = new Set([
  "query", "compress", "decompress", "user", "password", "quota_key", "query_id", "stacktrace", "buffer_size",
  "wait_end_of_query", "session_id", "session_timeout", "session_check", "client_protocol_version", "close_session",
  "role", "enable_http_compression", "database", "default_format",
]);

/** Raised before anything else is known: the endpoint needs a query id for its error reply. */
export function requestQueryId(url: URL, headers: IncomingHttpHeaders): string {
  return url.searchParams.get("query_id") || header(headers, "x-clickhouse-query-id") || randomUUID();
}

export function parseRequest(url: URL, headers: IncomingHttpHeaders, rawBody: Buffer): ClickHouseRequest {
  const fields: Array<[string, string]> = [...url.searchParams.entries()];
  const body = decodeBody(rawBody, header(headers, "content-encoding"));
  const boundary = multipartBoundary(header(headers, "content-type"));
  let data = "";
  if (boundary === undefined) {
    data = utf8(body);
  } else {
    for (const part of parseMultipart(body, boundary)) {
      if (part.filename !== undefined) {
        throw ClickHouseHttpError.of("NOT_IMPLEMENTED", `External table '${part.name}' is not supported by the local endpoint`);
      }
      fields.push([part.name, utf8(part.value)]);
    }
  }
  if (fields.some(([name]) => name === "compress" || name === "decompress")) {
    throw ClickHouseHttpError.of("NOT_IMPLEMENTED", "ClickHouse native compression (compress/decompress) is not supported by the local endpoint");
  }

  const first = (name: string): string | undefined => fields.find(([key]) => key === name)?.[1];
  const query = fields.filter(([key]) => key === "query").map(([, value]) => value).join("");
  const settings = new Map<string, string>();
  const params = new Map<string, string>();
  for (const [name, value] of fields) {
    if (name === "" || RESERVED.has(name)) continue;
    if (name.startsWith("param_")) params.set(name.slice("param_".length), value);
    else settings.set(name, value);
  }
  return {
    sql: boundary === undefined && query !== "" ? `${query}\n${data}` : query + data,
    ...(boundary === undefined && query !== "" && data !== "" ? { statementAndData: { statement: query, data } } : {}),
    queryId: requestQueryId(url, headers),
    database: header(headers, "x-clickhouse-database") || first("database") || undefined,
    defaultFormat: header(headers, "x-clickhouse-format") || first("default_format") || undefined,
    settings,
    params,
    credentials: credentials(headers, first("user"), first("password")),
    httpCompression: first("enable_http_compression") === "1",
  };
}

/**
 * Basic auth, X-ClickHouse-User/Key headers or user/password parameters; mixing
 * schemes is refused, as the server refuses it. No credentials means `default`.
 */
function credentials(headers: IncomingHttpHeaders, userParam: string | undefined, passwordParam: string | undefined): Credentials {
  const headerUser = header(headers, "x-clickhouse-user");
  const headerKey = header(headers, "x-clickhouse-key");
  const authorization = header(headers, "authorization")?.trim() || undefined;
  const byHeaders = headerUser !== undefined || headerKey !== undefined;
  const byParams = userParam !== undefined || passwordParam !== undefined;
  const schemes = [byHeaders, authorization !== undefined, byParams].filter(Boolean).length;
  if (schemes > 1) {
    throw ClickHouseHttpError.of("AUTHENTICATION_FAILED", "Invalid authentication: it is not allowed to use more than one authentication method simultaneously");
  }
  if (authorization !== undefined) return basic(authorization);
  if (byHeaders) return { user: headerUser || "default", password: headerKey ?? "" };
  return { user: userParam || "default", password: passwordParam ?? "" };
}

function basic(authorization: string): Credentials {
  const match = /^Basic\s+(\S+)$/i.exec(authorization.trim());
  if (match?.[1] === undefined) {
    throw ClickHouseHttpError.of("AUTHENTICATION_FAILED", "Invalid authentication: only HTTP Basic authorization is supported by the local endpoint");
  }
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? { user: decoded, password: "" } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  const method = encoding?.trim().toLowerCase() ?? "";
  try {
    if (method === "" || method === "identity") return body;
    if (method === "gzip" || method === "x-gzip") return gunzipSync(body);
    if (method === "deflate") return inflateSync(body);
    if (method === "br") return brotliDecompressSync(body);
  } catch (error) {
    throw ClickHouseHttpError.of("BAD_ARGUMENTS", `Cannot decompress request body (${method}): ${(error as Error).message}`);
  }
  throw ClickHouseHttpError.of("NOT_IMPLEMENTED", `Request Content-Encoding '${encoding}' is not supported by the local endpoint (gzip, deflate, br are)`);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The engine takes SQL and inline data as text, so binary bodies (RowBinary, Native, Parquet) cannot pass. */
function utf8(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw ClickHouseHttpError.of("NOT_IMPLEMENTED", "The request body is not UTF-8 text; binary input formats are not supported by the local endpoint");
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
