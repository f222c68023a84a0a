/** Reads a request body into memory, refusing bodies over a size limit. */
import type { IncomingMessage } from "node:http";
import { EndpointError } from "./errors.ts";

function tooLarge(limit: number): EndpointError {
  return new EndpointError("payload_too_large", `ERR request body exceeds ${limit} bytes`);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}
