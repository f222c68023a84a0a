/**
 * Real error answers from several route classes are problem+json with a stable
 * type and code, match the documented Problem schema, and carry a code the
 * document lists for that operation and status.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Problem } from "../../shared/api/schemas/common.ts";
import { problemTypeUri } from "../../shared/api/schemas/problems.ts";
import { call, createKey, createUser, type CallOptions } from "./api-helpers.ts";
import { operationFor, servedDocument, type OpenApiDocument } from "./openapi-helpers.ts";

let doc: OpenApiDocument;
let readOnlyKey: string;
let takenEmail: string;
beforeAll(async () => {
  doc = await servedDocument();
  readOnlyKey = await createKey(["read"]);
  takenEmail = (await createUser()).email;
});

interface Sample {
  name: string;
  path: string;
  options?: () => CallOptions;
  status: number;
  code: string;
}

const SAMPLES: Sample[] = [
  { name: "a v1 path parameter", path: "/v1/users/not-a-number", status: 400, code: "validation_failed" },
  { name: "a v1 body", path: "/v1/users", options: () => ({ method: "POST", body: { email: "nope" } }), status: 400, code: "validation_failed" },
  { name: "malformed JSON", path: "/v1/users", options: () => ({ method: "POST", body: "{" }), status: 400, code: "malformed_json" },
  { name: "an ops path parameter", path: "/v1/ops/indexes/runs/abc", status: 400, code: "invalid_run_id" },
  { name: "an ops header", path: "/v1/ops/indexes/runs", options: () => ({ method: "POST", headers: { "idempotency-key": "x".repeat(200) } }), status: 400, code: "invalid_idempotency_key" },
  { name: "an ops query", path: "/v1/ops/alerts?limit=0", status: 400, code: "invalid_limit" },
  { name: "a metrics query", path: "/v1/ops/metrics?granularity=week", status: 400, code: "invalid_parameter" },
  { name: "the dashboard API's query", path: "/dashboard/api/overview?range=2h", status: 400, code: "invalid_range" },
  { name: "no key", path: "/v1/users/1", options: () => ({ key: null }), status: 401, code: "missing_credentials" },
  { name: "a wrong key", path: "/v1/ops/cache", options: () => ({ key: "nk_0000000000000000_wrong" }), status: 401, code: "invalid_credentials" },
  { name: "no session", path: "/dashboard/api/overview", options: () => ({ key: null }), status: 401, code: "session_required" },
  { name: "a read key on an ops route", path: "/v1/ops/alerts", options: () => ({ key: readOnlyKey }), status: 403, code: "insufficient_scope" },
  { name: "a read key writing", path: "/v1/users", options: () => ({ key: readOnlyKey, method: "POST", body: {} }), status: 403, code: "insufficient_scope" },
  { name: "a missing user", path: "/v1/users/987654321987", status: 404, code: "not_found" },
  { name: "a missing advisor run", path: "/v1/ops/indexes/runs/987654321987", status: 404, code: "advisor_run_not_found" },
  { name: "a missing asset", path: "/dashboard/assets/nope.js", status: 404, code: "not_found" },
  { name: "a taken email", path: "/v1/users", options: () => ({ method: "POST", body: { email: takenEmail.toUpperCase(), planTier: "pro", role: "member" } }), status: 409, code: "email_taken" },
  { name: "a text body", path: "/v1/users", options: () => ({ method: "POST", body: "email=x", headers: { "content-type": "text/plain" } }), status: 415, code: "unsupported_media_type" },
  { name: "a JSON sign-in", path: "/dashboard/login", options: () => ({ key: null, method: "POST", body: { key: "k" } }), status: 415, code: "unsupported_media_type" },
  { name: "a room token body", path: "/v1/rooms/r1/token", options: () => ({ method: "POST", body: "{}", headers: { "content-type": "application/xml" } }), status: 415, code: "unsupported_media_type" },
];

describe("error answers match the document", () => {
  for (const sample of SAMPLES) {
    it(`answers ${sample.name} with ${sample.status} ${sample.code}`, async () => {
      const options = sample.options?.() ?? {};
      const method = options.method ?? "GET";
      const res = await call(sample.path, options);
      expect(res.status, JSON.stringify(res.json)).toBe(sample.status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");

      const body = Problem.parse(res.json);
      expect(body).toMatchObject({ status: sample.status, code: sample.code, type: problemTypeUri(sample.code), instance: sample.path.split("?")[0] });
      expect(body.title).not.toBe("");
      expect(body.requestId).toBeTruthy();

      const found = operationFor(doc, method, sample.path);
      expect(found, `${method} ${sample.path} is documented`).toBeDefined();
      const response = found!.op.responses[String(sample.status)];
      expect(response, `${method} ${found!.path} documents ${sample.status}`).toBeDefined();
      expect(response!["x-problem-codes"], `${method} ${found!.path} ${sample.status} lists ${sample.code}`).toContain(sample.code);
    });
  }

  it("answers an unknown route with a documented problem shape", async () => {
    const res = await call("/no/such/route", { key: null });
    expect(res.status).toBe(404);
    expect(Problem.parse(res.json)).toMatchObject({ code: "not_found", type: problemTypeUri("not_found") });
  });
});
