import { describe, expect, it } from "vitest";
import { FIELD_LOCATION, PROBLEM_CONTENT_TYPE, problemBody, ProblemError, problemResponse, statusTitle } from "../../shared/api/problem.ts";
import { PROBLEM_CODES } from "../../shared/api/schemas/problems.ts";

describe("the shared problem renderer", () => {
  it("writes the RFC 9457 body with the catalogued type and the status's title", () => {
    expect(problemBody({ status: 404, code: "not_found", detail: "User 42 does not exist" }, { instance: "/v1/users/42", requestId: "r1" })).toEqual({
      type: "urn:netra-edge:problem:not_found",
      title: "Not Found",
      status: 404,
      detail: "User 42 does not exist",
      instance: "/v1/users/42",
      code: "not_found",
      requestId: "r1",
    });
  });

  it("keeps a given title, errors and field, and leaves out what is absent", () => {
    const body = problemBody(
      { status: 400, code: "invalid_parameter", title: "Bad Request", detail: "to: bad", field: "to", errors: [{ in: "query", path: "to", message: "bad" }] },
      { instance: "/v1/ops/metrics" },
    );
    expect(body).toMatchObject({ field: "to", errors: [{ in: "query", path: "to", message: "bad" }] });
    expect(Object.keys(body)).not.toContain("requestId");
  });

  it("answers a Response with the problem media type, whatever headers are passed", async () => {
    const res = problemResponse({ status: 429, code: "rate_limited", detail: "slow down" }, { instance: "/x" }, { "retry-after": "3", "content-type": "text/plain" });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toMatchObject({ title: "Too Many Requests", code: "rate_limited" });
  });

  it("has a title for every catalogued status, and maps every validation target", () => {
    for (const { status } of Object.values(PROBLEM_CODES)) expect(["Request Rejected", "Server Error"], String(status)).not.toContain(statusTitle(status));
    expect(FIELD_LOCATION).toEqual({ json: "body", form: "body", query: "query", param: "path", header: "header", cookie: "header" });
  });

  it("carries its init on the typed error routes throw", () => {
    const error = new ProblemError({ status: 503, code: "metrics_unavailable", detail: "later" });
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("later");
    expect(error.init.code).toBe("metrics_unavailable");
  });
});
