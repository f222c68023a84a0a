/**
 * Every write route with arbitrary bodies and content types, against the fuzz
 * tests' own database (exact row counts): never a 5xx, a refused write leaves every
 * table as it was, an accepted one writes the row and its audit record together,
 * and any storable text comes back byte for byte, through the cache tiers too.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { configFor } from "../../functions/config.ts";
import { neonSql } from "../../shared/db/neon-client.ts";
import { clip, edgeText, jsonish, nestedJson, storableJson, storableText } from "../unit/fuzz-arbitraries.ts";
import { expectWellFormed, fuzzEnv, raw } from "./fuzz-helpers.ts";

const RUNS = { numRuns: 50 };
const sql = neonSql(configFor(fuzzEnv()).postgres);

type Counts = Record<"users" | "audit_logs" | "agent_states" | "api_keys", number>;

async function counts(): Promise<Counts> {
  const rows = (await sql.query(
    `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM audit_logs)::int AS audit_logs,
            (SELECT count(*) FROM agent_states)::int AS agent_states, (SELECT count(*) FROM api_keys)::int AS api_keys`,
  )) as Counts[];
  return rows[0]!;
}

let uniq = 0;
const freshEmail = () => `fuzz-${Date.now().toString(36)}-${uniq++}@example.test`;

async function postJson(method: string, path: string, body: unknown) {
  return raw({ method, path, headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
}

/** Values of every JSON type plus the edge cases each field type must refuse or store. */
const anyValue = fc.oneof(
  jsonish,
  edgeText,
  fc.constantFrom("", " ", "free", "pro", "member", "admin", "a@b.c", "x@y", "@", "a@", "1", "0", "-1", "9223372036854775808", 1, 0, -1, 1.5, 2 ** 53, 1e308, true, null),
  fc.integer({ min: 300, max: 70_000 }).map((n) => `${"x".repeat(n)}@example.test`),
);

/** Bodies shaped like `fields` (some fields valid, some arbitrary, some missing, extras), or not objects at all. */
function bodyFor(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const shaped = fc.record(
    Object.fromEntries(Object.entries(fields).map(([k, valid]) => [k, fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyValue })])),
    { requiredKeys: [] },
  );
  const withExtra = fc.tuple(shaped, fc.dictionary(fc.oneof(edgeText, fc.constantFrom("id", "createdAt", "__proto__", "version")), anyValue, { maxKeys: 2 }));
  return fc.oneof(
    { weight: 4, arbitrary: shaped.map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: withExtra.map(([b, extra]) => JSON.stringify({ ...extra, ...b })) },
    { weight: 1, arbitrary: jsonish.map((v) => JSON.stringify(v) ?? "null") },
    { weight: 1, arbitrary: fc.oneof(fc.string(), fc.constantFrom("", "{", "[", "{\"a\":}", "null", "\"x\"", "{}{}", "\ufeff{}", nestedJson(50_000))) },
    { weight: 1, arbitrary: fc.constantFrom(`{"metadata":${nestedJson(20_000)}}`, `{"data":{"a":${nestedJson(20_000)}}}`, `{"email":"a@b.c","extra":${nestedJson(20_000)}}`) },
  );
}

// The counter keeps emails unique (case-insensitively) even when fast-check replays a value.
const validEmail = storableText.map((t) => `${t.replace(/[\s@]/gu, "") || "x"}.${uniq++}.${Date.now().toString(36)}@example.test`);
const userFields = {
  email: validEmail,
  displayName: fc.oneof(storableText, fc.constant(null)),
  planTier: fc.constantFrom("free", "pro", "team", "enterprise"),
  role: fc.constantFrom("viewer", "member", "admin", "owner"),
};

let existingUserId = "";

beforeAll(async () => {
  const res = await postJson("POST", "/v1/users", { email: freshEmail(), planTier: "pro", role: "member" });
  expect(res.status).toBe(201);
  existingUserId = String(res.json?.id);
});

describe("fuzzed write bodies", () => {
  it("POST /v1/users: a refused body writes nothing, an accepted one writes the user and its audit record", async () => {
    await fc.assert(
      fc.asyncProperty(bodyFor(userFields), async (body) => {
        const before = await counts();
        const res = await postJson("POST", "/v1/users", body);
        expectWellFormed(res, "/v1/users", "POST");
        const after = await counts();
        if (res.status === 201) expect(after).toEqual({ ...before, users: before.users + 1, audit_logs: before.audit_logs + 1 });
        else expect(after).toEqual(before);
      }),
      RUNS,
    );
  });

  it("PATCH /v1/users/:id: a refused body leaves the row and the audit log as they were", async () => {
    await fc.assert(
      fc.asyncProperty(bodyFor(userFields), async (body) => {
        const before = await counts();
        const row = await sql.query("SELECT * FROM users WHERE id = $1", [existingUserId]);
        const res = await postJson("PATCH", `/v1/users/${existingUserId}`, body);
        expectWellFormed(res, "/v1/users/x", "PATCH");
        const after = await counts();
        if (res.status === 200) expect(after).toEqual({ ...before, audit_logs: before.audit_logs + 1 });
        else {
          expect(after).toEqual(before);
          expect(await sql.query("SELECT * FROM users WHERE id = $1", [existingUserId])).toEqual(row);
        }
      }),
      RUNS,
    );
  });

  it("POST /v1/audit-logs: a refused body appends nothing", async () => {
    const fields = {
      action: storableText.map((t) => clip(t, 100) || "a"),
      resource: storableText.map((t) => clip(t, 500) || "r"),
      metadata: fc.dictionary(storableText, storableJson, { maxKeys: 3 }),
      userId: fc.oneof(fc.constant(null), fc.constant(existingUserId), fc.constantFrom("1", 1, "999999999")),
      occurredAt: fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
    };
    await fc.assert(
      fc.asyncProperty(bodyFor(fields), async (body) => {
        const before = await counts();
        const res = await postJson("POST", "/v1/audit-logs", body);
        expectWellFormed(res, "/v1/audit-logs", "POST");
        const after = await counts();
        expect(after).toEqual(res.status === 201 ? { ...before, audit_logs: before.audit_logs + 1 } : before);
      }),
      RUNS,
    );
  });

  it("PUT /v1/agent-states/:sessionId: a refused body writes nothing", async () => {
    const fields = {
      userId: fc.oneof(fc.constant(existingUserId), fc.constantFrom("999999999", 1)),
      state: fc.constantFrom("idle", "running", "waiting", "done", "failed"),
      data: fc.dictionary(storableText, storableJson, { maxKeys: 3 }),
      version: fc.oneof(fc.constant(1), fc.integer({ min: -2, max: 2 ** 31 })),
    };
    await fc.assert(
      fc.asyncProperty(bodyFor(fields), fc.constantFrom("fz-a", "fz-b", "fz-c"), async (body, session) => {
        const before = await counts();
        const state = await sql.query("SELECT * FROM agent_states WHERE session_id = $1", [session]);
        const res = await postJson("PUT", `/v1/agent-states/${session}`, body);
        expectWellFormed(res, "/v1/agent-states/x", "PUT");
        const after = await counts();
        if (res.status === 201) expect(after).toEqual({ ...before, agent_states: before.agent_states + 1 });
        else {
          expect(after).toEqual(before);
          if (res.status !== 200) expect(await sql.query("SELECT * FROM agent_states WHERE session_id = $1", [session])).toEqual(state);
        }
      }),
      RUNS,
    );
  });

  it("POST /v1/admin/keys and POST /v1/rooms/:room/token: arbitrary bodies, no 5xx, no stray keys", async () => {
    const keyFields = { name: storableText.map((t) => clip(t, 200) || "k"), scopes: fc.subarray(["read", "write", "ops", "admin"], { minLength: 1 }) };
    const tokenFields = { party: fc.constantFrom("main", "x"), connectionId: fc.constantFrom("c1", "c-2"), ttlSeconds: fc.integer({ min: -5, max: 2 ** 40 }) };
    await fc.assert(
      fc.asyncProperty(bodyFor(keyFields), bodyFor(tokenFields), async (keyBody, tokenBody) => {
        const before = await counts();
        const key = await postJson("POST", "/v1/admin/keys", keyBody);
        expectWellFormed(key, "/v1/admin/keys", "POST");
        expect(await counts()).toEqual(key.status === 201 ? { ...before, api_keys: before.api_keys + 1 } : before);
        expectWellFormed(await postJson("POST", "/v1/rooms/fuzz-room/token", tokenBody), "/v1/rooms/x/token", "POST");
      }),
      { numRuns: 30 },
    );
  });
});

describe("deeply nested JSON", () => {
  it("refuses metadata and data nested past the limit with a 400 naming the field, and writes nothing", async () => {
    const before = await counts();
    for (const [method, path, body] of [
      ["POST", "/v1/audit-logs", `{"action":"a","resource":"r","metadata":{"deep":${nestedJson(20_000)}}}`],
      ["PUT", "/v1/agent-states/fz-deep", `{"userId":"${existingUserId}","state":"idle","data":{"deep":${nestedJson(20_000)}}}`],
      ["PUT", "/v1/agent-states/fz-deep", `{"userId":"${existingUserId}","state":"idle","data":{"deep":${nestedJson(80)}}}`],
    ] as const) {
      const res = await postJson(method, path, body);
      expectWellFormed(res, path, method);
      expect(res.status, res.text.slice(0, 200)).toBe(400);
      expect(res.json?.errors).toEqual([expect.objectContaining({ in: "body", message: "must nest at most 64 levels" })]);
    }
    expect(await counts()).toEqual(before);
  });
});

describe("fuzzed content types", () => {
  const contentType = fc.oneof(
    fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      "APPLICATION/JSON",
      "application/json; charset=latin1",
      "application/problem+json",
      "application/merge-patch+json",
      "application/json, text/plain",
      "text/json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=xyz",
      "application/octet-stream",
      ";",
      "json",
      "",
    ),
    edgeText,
  );

  it("answers every write route under any content type without a 5xx, and refuses what is not JSON with 415 before writing", async () => {
    const routes = [
      ["POST", "/v1/users"],
      ["PATCH", `/v1/users/{existing}`],
      ["POST", "/v1/audit-logs"],
      ["PUT", "/v1/agent-states/fz-ct"],
      ["POST", "/v1/admin/keys"],
      ["POST", "/v1/rooms/r/token"],
    ] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.option(contentType, { nil: undefined }), fc.constantFrom("{}", '{"action":"a","resource":"r"}', "a=b", "--xyz\r\n\r\n--xyz--"), async ([method, template], type, body) => {
        const path = template.replace("{existing}", existingUserId);
        const before = await counts();
        const res = await raw({ method, path, headers: type === undefined ? {} : { "content-type": type }, body });
        expectWellFormed(res, path, method);
        if (res.status === 415) expect(await counts()).toEqual(before);
        const media = (type ?? "").split(";")[0]!.trim().toLowerCase();
        if (!/^application\/([\w.-]+\+)?json$/.test(media)) expect(res.status).toBe(415);
      }),
      RUNS,
    );
  });

  it("accepts a multipart body as 415, not a crash", async () => {
    const form = new FormData();
    form.set("email", "a@b.c");
    const res = await raw({ method: "POST", path: "/v1/users", body: form });
    expect(res.status).toBe(415);
    expectWellFormed(res, "/v1/users", "POST");
  });
});

describe("round trips of storable text", () => {
  it("returns any accepted display name and email byte-identical, on a miss and on a cache hit", async () => {
    await fc.assert(
      fc.asyncProperty(storableText.map((t) => clip(t, 200)), validEmail, async (displayName, email) => {
        const created = await postJson("POST", "/v1/users", { email, displayName, planTier: "free", role: "viewer" });
        expect(created.status, created.text).toBe(201);
        expect(created.json).toMatchObject({ email, displayName });
        const id = String(created.json?.id);
        for (let i = 0; i < 2; i++) {
          const read = await raw({ path: `/v1/users/${id}` });
          expect(read.json).toMatchObject({ email, displayName });
          const byEmail = await raw({ path: `/v1/users/by-email?email=${encodeURIComponent(email)}` });
          expect(byEmail.json).toMatchObject({ id, email, displayName });
        }
        const stored = (await sql.query("SELECT email, display_name FROM users WHERE id = $1", [id])) as { email: string; display_name: string }[];
        expect(stored[0]).toEqual({ email, display_name: displayName });
      }),
      { numRuns: 40 },
    );
  }, 90_000); // 40 runs of a create and two reads, each waiting for its metrics to be stored

  it("returns any accepted audit metadata and agent data intact, twice", async () => {
    await fc.assert(
      fc.asyncProperty(storableText.map((t) => clip(t, 100) || "act"), fc.dictionary(storableText, storableJson, { maxKeys: 4 }), async (action, data) => {
        const appended = await postJson("POST", "/v1/audit-logs", { action, resource: action, metadata: data, userId: existingUserId });
        expect(appended.status, appended.text).toBe(201);
        expect(appended.json).toMatchObject({ action, resource: action, metadata: data });
        for (let i = 0; i < 2; i++) {
          const page = await raw({ path: `/v1/audit-logs?userId=${existingUserId}&action=${encodeURIComponent(action)}&limit=100` });
          const found = (page.json?.items as { id: string; metadata: unknown; action: string }[]).find((r) => r.id === appended.json?.id);
          expect(found).toMatchObject({ action, metadata: data });
        }
        const session = `fz-rt-${uniq++}`;
        const put = await postJson("PUT", `/v1/agent-states/${session}`, { userId: existingUserId, state: "running", data });
        expect(put.status, put.text).toBe(201);
        for (let i = 0; i < 2; i++) expect((await raw({ path: `/v1/agent-states/${session}` })).json).toMatchObject({ data });
      }),
      { numRuns: 40 },
    );
    // 240 requests, each waited for with its background work (the metrics insert): time, not correctness.
  }, 120_000);

  it("stores SQL-looking text as text", async () => {
    const displayName = "'; DROP TABLE users; --";
    const created = await postJson("POST", "/v1/users", { email: `x');DROP/**/TABLE/**/users;--${uniq++}@example.test`, displayName, planTier: "pro", role: "member" });
    expect(created.status).toBe(201);
    expect((await raw({ path: `/v1/users/${String(created.json?.id)}` })).json).toMatchObject({ displayName });
    expect((await counts()).users).toBeGreaterThan(0);
  });
});

describe("multi-statement writes", () => {
  it("rolls back the user when its audit record fails: all or nothing", async () => {
    const key = await postJson("POST", "/v1/admin/keys", { name: "atomicity", scopes: ["write", "read"] });
    expect(key.status).toBe(201);
    const keyId = String(key.json?.keyId);
    // Only this key's audit records are refused, so other requests are unaffected.
    const constraint = `fuzz_refuse_${keyId.replace(/\W/g, "")}`;
    await sql.query(`ALTER TABLE audit_logs ADD CONSTRAINT ${constraint} CHECK (metadata->>'actor' IS DISTINCT FROM '${keyId}') NOT VALID`);
    try {
      const before = await counts();
      const email = freshEmail();
      const res = await raw({ method: "POST", path: "/v1/users", key: String(key.json?.token), headers: { "content-type": "application/json" }, body: JSON.stringify({ email, planTier: "pro", role: "member" }) });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await counts()).toEqual(before);
      expect(await sql.query("SELECT 1 FROM users WHERE email = $1", [email])).toEqual([]);
      // The email stays free: the rolled-back insert left no trace.
      expect((await postJson("POST", "/v1/users", { email, planTier: "pro", role: "member" })).status).toBe(201);
    } finally {
      await sql.query(`ALTER TABLE audit_logs DROP CONSTRAINT ${constraint}`);
    }
  });
});
