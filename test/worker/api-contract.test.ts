/**
 * Places where the API and its document disagreed, or data changed silently:
 * each case here failed before its fix.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../functions/index.ts";
import { ADMIN_KEY, apiEnv, call, createUser } from "./api-helpers.ts";
import { operationFor, servedDocument, type OpenApiDocument } from "./openapi-helpers.ts";

let doc: OpenApiDocument;
let userId: string;
beforeAll(async () => {
  doc = await servedDocument();
  userId = (await createUser()).id;
});

/** JSON text with keys sorted at every level: jsonb keeps values, not key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Written as text: a JS object literal with a `__proto__` key would set the prototype instead. */
const TRICKY_OBJECTS = [
  '{"__proto__":{"x":1},"a":1}',
  '{"constructor":{"prototype":{"polluted":true}},"toString":"s","hasOwnProperty":0,"valueOf":null}',
  '{"nested":[{"__proto__":[1,"two",{"__proto__":null}]}],"":"empty key","ключ":"значение","😀":"astral"}',
  '{"n":[0,-1,1.5,1e+21,123456789012345],"t":true,"f":false,"z":null,"s":"line\\nbreak \\"quoted\\" \\\\ tab\\t"}',
];

function documentedCodes(method: string, path: string, status: number): string[] | undefined {
  return operationFor(doc, method, path)?.op.responses[String(status)]?.["x-problem-codes"];
}

describe("jsonb fields round-trip any JSON object", () => {
  for (const text of TRICKY_OBJECTS) {
    const sent = JSON.parse(text) as Record<string, unknown>;
    it(`keeps ${text.slice(0, 40)}... in audit log metadata, fresh and cached`, async () => {
      const created = await call("/v1/audit-logs", { method: "POST", body: `{"userId":"${userId}","action":"json.roundtrip","resource":"r","metadata":${text}}` });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      expect(canonical(created.json.metadata)).toBe(canonical(sent));
      for (let i = 0; i < 2; i++) {
        const listed = await call(`/v1/audit-logs?userId=${userId}&action=json.roundtrip&limit=100`);
        const item = listed.json.items!.find((row) => row.id === created.json.id);
        expect(canonical(item?.metadata), `read ${i} (${listed.headers.get("x-cache")})`).toBe(canonical(sent));
      }
    });

    it(`keeps ${text.slice(0, 40)}... in agent state data, fresh and cached`, async () => {
      const id = `sess_json_${crypto.randomUUID()}`;
      const put = await call(`/v1/agent-states/${id}`, { method: "PUT", body: `{"userId":"${userId}","state":"idle","data":${text}}` });
      expect(put.status, JSON.stringify(put.json)).toBe(201);
      expect(canonical(put.json.data)).toBe(canonical(sent));
      for (let i = 0; i < 2; i++) {
        const read = await call(`/v1/agent-states/${id}`);
        expect(canonical(read.json.data), `read ${i} (${read.headers.get("x-cache")})`).toBe(canonical(sent));
      }
    });
  }

  it("still refuses a body field that is not an object", async () => {
    for (const metadata of ["[]", '"text"', "1", "null"]) {
      const res = await call("/v1/audit-logs", { method: "POST", body: `{"action":"a","resource":"r","metadata":${metadata}}` });
      expect(res.status, metadata).toBe(400);
      expect(res.json.errors).toEqual([expect.objectContaining({ in: "body", path: "metadata" })]);
    }
  });
});

describe("date-time values", () => {
  it("refuses instants outside years 0001-9999 once converted to UTC", async () => {
    for (const occurredAt of ["9999-12-31T23:59:59-15:00", "9999-12-31T23:30:00-00:31", "0001-01-01T00:00:00+00:01"]) {
      const res = await call("/v1/audit-logs", { method: "POST", body: { action: "a", resource: "r", occurredAt } });
      expect(res.status, occurredAt).toBe(400);
      expect(res.json).toMatchObject({ code: "validation_failed", errors: [expect.objectContaining({ in: "body", path: "occurredAt" })] });
      const listed = await call(`/v1/audit-logs?to=${encodeURIComponent(occurredAt)}`);
      expect(listed.status, `?to=${occurredAt}`).toBe(400);
    }
  });

  it("accepts and answers the extremes of the four-digit years as valid date-times", async () => {
    for (const [occurredAt, answered] of [
      ["9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59.000Z"],
      ["0001-01-01T00:59:00+00:59", "0001-01-01T00:00:00.000Z"],
    ]) {
      const res = await call("/v1/audit-logs", { method: "POST", body: { userId, action: "extreme", resource: "r", occurredAt } });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      expect(res.json.occurredAt).toBe(answered);
    }
    const listed = await call(`/v1/audit-logs?userId=${userId}&action=extreme`);
    expect(listed.json.items!.map((row) => row.occurredAt).sort()).toEqual(["0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.000Z"]);
  });

  it("accepts RFC 3339's lower-case t and z in bodies and parameters", async () => {
    const res = await call("/v1/audit-logs", { method: "POST", body: { userId, action: "lower", resource: "r", occurredAt: "2032-03-04t05:06:07.5z" } });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.occurredAt).toBe("2032-03-04T05:06:07.500Z");
    const listed = await call(`/v1/audit-logs?userId=${userId}&action=lower&from=2032-03-04t00:00:00z&to=2032-03-05t00:00:00%2B01:00`);
    expect(listed.status, JSON.stringify(listed.json)).toBe(200);
    expect(listed.json.items).toHaveLength(1);
    const metrics = await call("/v1/ops/metrics?granularity=hour&from=2026-11-01t00:00:00z&to=2026-11-02t00:00:00z");
    expect(metrics.status, JSON.stringify(metrics.json)).not.toBe(400);
  });
});

describe("GET /v1/ops/metrics ranges ClickHouse cannot hold", () => {
  for (const [query, field] of [
    ["to=42", "to"],
    ["granularity=minute&to=1000", "to"],
    ["from=0&to=99999999999999", "to"],
    ["granularity=day&from=4294900000000&to=4294967295000", "to"],
  ] as const) {
    it(`answers ?${query} with 400 invalid_parameter naming ${field}, not a 503`, async () => {
      const res = await call(`/v1/ops/metrics?${query}`);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json).toMatchObject({ code: "invalid_parameter", field });
    });
  }

  it("still answers the first hours after the epoch", async () => {
    const res = await call("/v1/ops/metrics?from=0&to=7200000");
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  });
});

describe("bodies cut off while they are read", () => {
  it("answers 400 bad_request, documented, not a 500", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"email":"cut@example.com","planTi'));
        controller.error(new TypeError("Network connection lost."));
      },
    });
    const ctx = createExecutionContext();
    const request = new Request("http://edge.test/v1/users", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body,
    });
    const res = await worker.fetch(request, apiEnv(), ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ code: "bad_request" });
    expect(documentedCodes("POST", "/v1/users", 400)).toContain("bad_request");
  });
});

describe("POST /dashboard/login with a malformed form", () => {
  const form = (body: string, type = "application/x-www-form-urlencoded") => ({ method: "POST", key: null, headers: { "content-type": type }, body });
  for (const [name, options, code] of [
    ["a repeated field", form("key=a&key=b"), "validation_failed"],
    ["a broken multipart body", form("--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk", "multipart/form-data; boundary=y"), "bad_request"],
  ] as const) {
    it(`answers ${name} with a documented 400 ${code}`, async () => {
      const res = await call("/dashboard/login", options);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.code).toBe(code);
      expect(documentedCodes("POST", "/dashboard/login", 400)).toContain(code);
    });
  }
});

describe("ops routes under the one /v1 mount", () => {
  for (const path of ["/v1/ops/metrics", "/v1/ops/metrics/pipeline", "/v1/ops/alerts", "/v1/ops/indexes/runs/987654321987", "/v1/ops/cache"]) {
    it(`${path} answers with server-timing, as every /v1 route does`, async () => {
      const res = await call(path);
      expect(res.headers.get("server-timing"), `${path}: ${res.status}`).toMatch(/total;dur=\d/);
    });
  }
});
