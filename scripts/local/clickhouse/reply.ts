/** Writing ClickHouse HTTP responses: results, errors, and optional compression. */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import type { EngineResult } from "./engine.ts";
import type { ClickHouseHttpError } from "./errors.ts";
import { contentTypeFor } from "./formats.ts";

export interface ResultMeta {
  queryId: string;
  format: string;
  timezone: string;
  /** Compress per Accept-Encoding (the request said enable_http_compression=1). */
  compress: boolean;
  headOnly: boolean;
}

const COMPRESSORS: ReadonlyMap<string, (data: Uint8Array) => Buffer> = new Map([
  ["gzip", (data: Uint8Array) => gzipSync(data)],
  ["deflate", (data: Uint8Array) => deflateSync(data)],
  ["br", (data: Uint8Array) => brotliCompressSync(data)],
]);

export function sendResult(res: ServerResponse, requestHeaders: IncomingHttpHeaders, result: EngineResult, meta: ResultMeta): void {
  res.statusCode = 200;
  res.setHeader("Content-Type", contentTypeFor(meta.format));
  res.setHeader("X-ClickHouse-Query-Id", meta.queryId);
  res.setHeader("X-ClickHouse-Format", meta.format);
  res.setHeader("X-ClickHouse-Timezone", meta.timezone);
  res.setHeader("X-ClickHouse-Summary", summary(result));
  let body: Uint8Array = result.bytes;
  const encoding = meta.compress ? chooseEncoding(requestHeaders["accept-encoding"]) : undefined;
  if (encoding !== undefined) {
    body = COMPRESSORS.get(encoding)?.(body) ?? body;
    res.setHeader("Content-Encoding", encoding);
    res.setHeader("Vary", "Accept-Encoding");
  }
  res.setHeader("Content-Length", body.byteLength);
  res.end(meta.headOnly ? undefined : body);
}

export function sendError(res: ServerResponse, error: ClickHouseHttpError, queryId: string | undefined, version: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(error.render(version));
  res.statusCode = error.httpStatus;
  res.setHeader("Content-Type", "text/plain; charset=UTF-8");
  res.setHeader("X-ClickHouse-Exception-Code", String(error.code));
  if (queryId !== undefined) res.setHeader("X-ClickHouse-Query-Id", queryId);
  res.setHeader("Content-Length", body.byteLength);
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=UTF-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

/** Counters as the server reports them: every value a decimal string. */
function summary(result: EngineResult): string {
  const counters = {
    read_rows: result.resultRows,
    read_bytes: result.resultBytes,
    written_rows: result.writtenRows,
    written_bytes: result.writtenBytes,
    total_rows_to_read: 0,
    result_rows: result.resultRows,
    result_bytes: result.resultBytes,
    elapsed_ns: result.elapsedNs,
  };
  return JSON.stringify(Object.fromEntries(Object.entries(counters).map(([key, value]) => [key, String(value)])));
}

/** The first codec in Accept-Encoding this endpoint can produce (q=0 excluded). */
function chooseEncoding(acceptEncoding: string | undefined): string | undefined {
  for (const entry of (acceptEncoding ?? "").split(",")) {
    const [name = "", ...params] = entry.trim().toLowerCase().split(";");
    const refused = params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
    if (!refused && COMPRESSORS.has(name.trim())) return name.trim();
  }
  return undefined;
}
