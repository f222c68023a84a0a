/**
 * Every `pattern` in the served document is a regular expression a client can use
 * (OpenAPI 3.1: ECMA-262, with Unicode semantics), it accepts the document's own
 * examples, and where a field has a pattern the API's verdict on a value is the
 * pattern's verdict.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "./api-helpers.ts";
import { servedDocument, type OpenApiDocument } from "./openapi-helpers.ts";

let doc: OpenApiDocument;
beforeAll(async () => {
  doc = await servedDocument();
});

interface Patterned {
  where: string;
  pattern: string;
  examples: unknown[];
}

/** Every schema node with a pattern, with the examples that apply to it (its own, or its parameter's). */
function patterned(node: unknown, where = "#", inherited: unknown[] = [], out: Patterned[] = []): Patterned[] {
  if (Array.isArray(node)) node.forEach((item, i) => patterned(item, `${where}/${i}`, [], out));
  else if (typeof node === "object" && node !== null) {
    const record = node as Record<string, unknown>;
    const own = [...("example" in record ? [record.example] : []), ...(Array.isArray(record.examples) ? record.examples : [])];
    if (typeof record.pattern === "string") out.push({ where, pattern: record.pattern, examples: [...own, ...inherited] });
    for (const [key, child] of Object.entries(record)) {
      // A parameter's example belongs to its schema.
      const passDown = key === "schema" && "in" in record ? own : [];
      patterned(child, `${where}/${key.replace(/\//g, "~1")}`, passDown, out);
    }
  }
  return out;
}

function patternAt(path: string, method: string, parameter: string): RegExp {
  const found = doc.paths[path]?.[method]?.parameters?.find((p) => p.name === parameter) as { schema?: { pattern?: string } } | undefined;
  const pattern = found?.schema?.pattern;
  if (pattern === undefined) throw new Error(`${method} ${path} ${parameter} has no pattern`);
  return new RegExp(pattern, "u");
}

describe("patterns in the OpenAPI document", () => {
  it("compile, and accept every example given for them", () => {
    const all = patterned(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const { where, pattern, examples } of all) {
      let regex: RegExp | undefined;
      expect(() => (regex = new RegExp(pattern, "u")), `${where}: ${pattern}`).not.toThrow();
      for (const example of examples) {
        expect(typeof example, `${where}: example ${JSON.stringify(example)}`).toBe("string");
        expect(regex!.test(example as string), `${where}: ${pattern} accepts its example ${JSON.stringify(example)}`).toBe(true);
      }
    }
  });

  it("accept the emails the API accepts, and refuse the ones it refuses", async () => {
    const email = patternAt("/v1/users/by-email", "get", "email");
    const samples = ["ada@example.com", "Ada.Lovelace+tag@sub.example.org", "名前@例え.jp", "x@y", "no-at-sign", "two words@example.com", "a@b@c", "@example.com", "ada@"];
    for (const sample of samples) {
      const res = await call(`/v1/users/by-email?email=${encodeURIComponent(sample)}`);
      const apiAccepts = res.status !== 400;
      expect(apiAccepts, `${sample}: ${res.status} ${JSON.stringify(res.json)}`).toBe(email.test(sample));
    }
  });

  it("accept exactly the alert history limits the API accepts", async () => {
    const limit = patternAt("/v1/ops/alerts", "get", "limit");
    for (const sample of ["1", "9", "10", "99", "100", "199", "200", "201", "250", "999", "0", "01", "1000", "-1", "2e2"]) {
      const res = await call(`/v1/ops/alerts?limit=${sample}`);
      expect(res.status === 400 ? false : true, `limit=${sample}: ${res.status} ${JSON.stringify(res.json)}`).toBe(limit.test(sample));
      if (res.status === 400) expect(res.json.code).toBe("invalid_limit");
    }
  });
});
