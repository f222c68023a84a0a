/**
 * multipart/form-data bodies. The client sends one when query parameters are
 * too long for the URL: a `query` part plus one `param_<name>` part each.
 * ClickHouse reads form fields exactly like URL parameters; a part carrying a
 * filename is an external table.
 */
import { ClickHouseHttpError } from "./errors.ts";

export interface FormPart {
  name: string;
  filename: string | undefined;
  value: Buffer;
}

/** The boundary from a `multipart/form-data; boundary=...` content type, else undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw ClickHouseHttpError.of("BAD_ARGUMENTS", "multipart/form-data body without a boundary");
  return boundary;
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let cursor = body.indexOf(delimiter);
  if (cursor < 0) throw malformed("no opening boundary");
  while (true) {
    cursor += delimiter.length;
    if (body.subarray(cursor, cursor + 2).toString() === "--") return parts;
    cursor = skipLineBreak(body, cursor);
    const headerEnd = body.indexOf("\r\n\r\n", cursor);
    if (headerEnd < 0) throw malformed("a part has no header terminator");
    const headers = body.subarray(cursor, headerEnd).toString("utf8");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) throw malformed("a part has no closing boundary");
    parts.push({ ...disposition(headers), value: body.subarray(headerEnd + 4, next) });
    cursor = next + 2;
  }
}

function disposition(headers: string): { name: string; filename: string | undefined } {
  const line = headers.split("\r\n").find((h) => /^content-disposition:/i.test(h));
  const name = line === undefined ? undefined : /\bname="([^"]*)"/i.exec(line)?.[1];
  if (line === undefined || name === undefined) throw malformed("a part has no Content-Disposition name");
  return { name, filename: /\bfilename="([^"]*)"/i.exec(line)?.[1] };
}

function skipLineBreak(body: Buffer, at: number): number {
  if (body[at] === 0x0d && body[at + 1] === 0x0a) return at + 2;
  throw malformed("boundary not followed by a line break");
}

function malformed(detail: string): ClickHouseHttpError {
  return ClickHouseHttpError.of("BAD_ARGUMENTS", `Malformed multipart/form-data body: ${detail}`);
}
