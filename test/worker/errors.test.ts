import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.ts";
import { request } from "./helpers.ts";

describe("problem+json errors and request ids", () => {
  it("answers an unknown route with a 404 problem+json", async () => {
    const response = await request("/no/such/route", { init: { headers: { "x-request-id": "req-404" } } });
    const body = await response.json<Record<string, unknown>>();

    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(body).toEqual({
      type: "urn:netra-edge:problem:not_found",
      title: "Not Found",
      status: 404,
      detail: "No route for GET /no/such/route",
      instance: "/no/such/route",
      code: "not_found",
      requestId: "req-404",
    });
  });

  it("echoes a valid x-request-id on the response", async () => {
    const response = await request("/health", { init: { headers: { "x-request-id": "abc-123_XYZ" } } });
    expect(response.headers.get("x-request-id")).toBe("abc-123_XYZ");
  });

  it("generates a request id when none or an unsafe one is sent", async () => {
    const none = await request("/nowhere");
    const unsafe = await request("/nowhere", { init: { headers: { "x-request-id": "id with spaces;and=semicolons" } } });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(none.headers.get("x-request-id")).toMatch(uuid);
    expect(unsafe.headers.get("x-request-id")).toMatch(uuid);
    expect(none.headers.get("x-request-id")).not.toBe(unsafe.headers.get("x-request-id"));
  });

  it("answers a thrown error with a 500 problem+json that leaks no internals", async () => {
    const app = createApp();
    app.get("/boom", () => {
      throw new Error("password=hunter2 at db.internal:5432");
    });
    const response = await request("/boom", { app, init: { headers: { "x-request-id": "req-500" } } });
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;

    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("x-request-id")).toBe("req-500");
    expect(body).toMatchObject({ status: 500, code: "internal_error", title: "Internal Server Error", instance: "/boom", requestId: "req-500" });
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("db.internal");
  });
});

describe("client errors raised by routes", () => {
  it("turns an HTTPException into a problem+json with its status and message", async () => {
    const app = createApp();
    app.get("/private", () => {
      throw new HTTPException(401, { message: "A bearer API key is required." });
    });
    const response = await request("/private", { app });
    const body = await response.json<Record<string, unknown>>();

    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(body).toMatchObject({
      type: "urn:netra-edge:problem:unauthorized",
      title: "Unauthorized",
      status: 401,
      detail: "A bearer API key is required.",
      code: "unauthorized",
      instance: "/private",
    });
  });
});
