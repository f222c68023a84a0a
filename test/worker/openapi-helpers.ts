/** The served OpenAPI document and lookups into it, for the openapi-*.test.ts files. */
import { call } from "./api-helpers.ts";

export interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  "x-required-scope"?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { description: string; "x-problem-codes"?: string[]; content?: Record<string, { schema?: unknown }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
}

export const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export async function servedDocument(): Promise<OpenApiDocument> {
  const res = await call("/openapi.json", { key: null });
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  return res.json as unknown as OpenApiDocument;
}

export function operations(doc: OpenApiDocument): Array<{ path: string; method: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (METHODS as readonly string[]).includes(method))
      .map(([method, op]) => ({ path, method, op })),
  );
}

/** The documented operation whose path template matches a concrete request path. */
export function operationFor(doc: OpenApiDocument, method: string, requestPath: string): { path: string; op: Operation } | undefined {
  const pathname = requestPath.split("?")[0]!;
  for (const [template, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
    const op = item[method.toLowerCase()];
    if (op !== undefined && pattern.test(pathname)) {
      // A literal path wins over a template (/v1/users/by-email over /v1/users/{id}).
      const literal = doc.paths[pathname]?.[method.toLowerCase()];
      return literal ? { path: pathname, op: literal } : { path: template, op };
    }
  }
  return undefined;
}
