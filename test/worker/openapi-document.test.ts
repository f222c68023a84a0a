/** /openapi.json is a well-formed OpenAPI 3.1 document, and its errors are catalogued problems. */
import { beforeAll, describe, expect, it } from "vitest";
import { PROBLEM_CODES, isProblemCode } from "../../shared/api/schemas/problems.ts";
import { operations, servedDocument, type OpenApiDocument } from "./openapi-helpers.ts";

let doc: OpenApiDocument;
beforeAll(async () => {
  doc = await servedDocument();
});

/** Every `$ref` string anywhere in the document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refs(item, out);
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") out.push(value);
      else refs(value, out);
    }
  }
  return out;
}

function resolve(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

describe("the OpenAPI 3.1 document", () => {
  it("declares 3.1, info, servers and tags", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBe("netra-edge API");
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(doc.servers?.[0]?.url).toBe("http://edge.test");
    expect(doc.tags?.length).toBeGreaterThan(0);
  });

  it("resolves every $ref", () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const ref of all) expect(resolve(doc, ref), ref).toBeDefined();
  });

  it("gives every operation a unique operationId, declared tags and responses", () => {
    const declared = new Set(doc.tags!.map((t) => t.name));
    const ids = new Set<string>();
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.operationId, where).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      expect(ids.has(op.operationId!), `${where}: duplicate operationId ${op.operationId}`).toBe(false);
      ids.add(op.operationId!);
      expect(op.tags?.length, where).toBeGreaterThan(0);
      for (const tag of op.tags!) expect(declared, `${where}: tag ${tag}`).toContain(tag);
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
    }
  });

  it("declares every path parameter, and security wherever a scope is required", () => {
    const schemes = new Set(Object.keys(doc.components?.securitySchemes ?? {}));
    expect(schemes).toEqual(new Set(["bearerAuth", "dashboardSession"]));
    for (const { path, method, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
        expect(op.parameters?.some((p) => p.in === "path" && p.name === name && p.required === true), `${where}: path parameter ${name}`).toBe(true);
      }
      if (op["x-required-scope"] !== undefined) {
        expect(op["x-required-scope"], where).toMatch(/^(read|write|ops|admin)$/);
        expect(op.security?.length, `${where}: security`).toBeGreaterThan(0);
      }
      for (const requirement of op.security ?? []) for (const name of Object.keys(requirement)) expect(schemes, `${where}: scheme ${name}`).toContain(name);
    }
  });

  /** Errors answered as HTML on purpose, with why. */
  const HTML_ERRORS: Readonly<Record<string, string>> = {
    "POST /dashboard/login 401": "a browser form post: the sign-in page is shown again with the reason",
    "POST /dashboard/login 403": "a browser form post: the sign-in page is shown again with the reason",
  };

  it("documents every 4xx and 5xx as problem+json naming catalogued codes of that status", () => {
    const problemRef = "#/components/schemas/Problem";
    for (const { path, method, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const where = `${method.toUpperCase()} ${path} ${status}`;
        if (HTML_ERRORS[where] !== undefined) {
          expect(Object.keys(response.content ?? {}), where).toEqual(["text/html"]);
          continue;
        }
        // /health's 503 and the sign-in page's refusals also have a non-problem body; the problem is always there.
        expect(response.content?.["application/problem+json"]?.schema, where).toEqual({ $ref: problemRef });
        const codes = response["x-problem-codes"] ?? [];
        expect(codes.length, `${where}: x-problem-codes`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(isProblemCode(code), `${where}: ${code} is catalogued`).toBe(true);
          expect(PROBLEM_CODES[code as keyof typeof PROBLEM_CODES].status, `${where}: ${code}'s status`).toBe(Number(status));
        }
      }
    }
    expect(resolve(doc, problemRef)).toMatchObject({ type: "object", required: expect.arrayContaining(["type", "title", "status", "detail", "code"]) });
  });

  it("documents each applied index's measured impact in GET /v1/ops/indexes", () => {
    const ok = doc.paths["/v1/ops/indexes"]?.get?.responses["200"]?.content?.["application/json"]?.schema as { $ref?: string };
    const run = resolve(doc, ok.$ref!) as { properties: { report: unknown } };
    expect(run.properties.report).toMatchObject({ type: ["object", "null"], properties: { verification: { type: "array", items: { $ref: "#/components/schemas/IndexImpact" } } } });
    const impact = resolve(doc, "#/components/schemas/IndexImpact") as { properties: Record<string, unknown>; required: string[] };
    expect(impact.required).toEqual(expect.arrayContaining(["name", "table", "verdict", "action", "statements", "sizeBytes", "writeBeforeMs", "writeAfterMs"]));
    expect(impact.properties.statements).toMatchObject({ items: { properties: { beforeMs: {}, afterMs: {} } } });
  });
});
