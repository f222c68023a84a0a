/**
 * Documents the consistency token (functions/middleware/read-context.ts) on every
 * operation of the generated OpenAPI document: the response header of the writes,
 * and the request header and cookie the reads accept. Added to the document rather
 * than to each route's definition because every cached read and every write carries it.
 */
import { CONSISTENCY_COOKIE, CONSISTENCY_HEADER } from "./middleware/read-context.ts";

const DESCRIPTION =
  "Read-your-writes across isolates. Every write answers with the tag versions it produced (merged with the token it was sent); " +
  "a read that sends it back is served only from data at least that new, whichever isolate serves it (one Redis round trip when " +
  "that isolate is behind). Without it a read may trail another isolate's write by the cache's staleness bound. Format: " +
  "URI-encoded `tag=version` pairs joined by `&`, at most 32 pairs and 4096 characters; a malformed header is a 400 " +
  "`invalid_consistency_token`, a malformed cookie is ignored.";

const WRITE_METHODS = new Set(["post", "put", "patch", "delete"]);

type Operation = { parameters?: unknown[]; responses?: Record<string, { headers?: Record<string, unknown> }> };

/** Adds the header/cookie components and references them from every API operation (mutates the document). */
export function documentConsistencyToken(document: { paths: Record<string, unknown>; components?: Record<string, unknown> }): void {
  const components = (document.components ??= {}) as Record<string, Record<string, unknown>>;
  (components.headers ??= {}).ConsistencyToken = { description: DESCRIPTION, schema: { type: "string", maxLength: 4096 } };
  const parameters = (components.parameters ??= {});
  parameters.ConsistencyTokenHeader = { name: CONSISTENCY_HEADER, in: "header", required: false, description: DESCRIPTION, schema: { type: "string", maxLength: 4096 } };
  parameters.ConsistencyTokenCookie = { name: CONSISTENCY_COOKIE, in: "cookie", required: false, description: `The token as a cookie (set by writes, HttpOnly, 60 s). ${DESCRIPTION}`, schema: { type: "string" } };
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith("/v1/") || typeof item !== "object" || item === null) continue;
    for (const [method, op] of Object.entries(item as Record<string, Operation>)) {
      if (WRITE_METHODS.has(method)) {
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          if (status.startsWith("2")) (response.headers ??= {})[CONSISTENCY_HEADER] = { $ref: "#/components/headers/ConsistencyToken" };
        }
      }
      (op.parameters ??= []).push({ $ref: "#/components/parameters/ConsistencyTokenHeader" }, { $ref: "#/components/parameters/ConsistencyTokenCookie" });
    }
  }
}
