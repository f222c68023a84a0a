/** Which rows a statement reads or writes, as the cache tags them (shared/db/row-bounds.ts, cache-tags.ts). */
import { describe, expect, it } from "vitest";
import { readTags, writeTags } from "../../shared/db/cache-tags.ts";
import { StatementCatalog } from "../../shared/db/statement-catalog.ts";
import { testPolicy } from "./query-policy-fixture.ts";

const catalog = new StatementCatalog(testPolicy());
const reads = (sql: string, params: unknown[]) => readTags(catalog.get(sql), params);
const writes = (sql: string, params: unknown[], rows?: unknown[]) => writeTags(catalog.get(sql), params, rows);
const USERS = ["public.users", "public.users:list"];

describe("read tags", () => {
  it("tags a read by id with its row", () => {
    expect(reads("SELECT * FROM users WHERE id = $1", ["42"])).toEqual(["public.users", "public.users:id=42"]);
    expect(reads("SELECT * FROM users u WHERE u.id = $2::bigint AND role = $1", ["x", 7])).toEqual(["public.users", "public.users:id=7"]);
  });

  it.each([
    ["SELECT * FROM users WHERE lower(email) = lower($1)", ["a@b"]],
    ["SELECT * FROM users WHERE id = $1 OR role = 'admin'", ["1"]],
    ["SELECT * FROM users WHERE id = $1 AND id IN (SELECT user_id FROM audit_logs)", ["1"]],
    ["SELECT * FROM users WHERE id = $1", ["042"]],
    ["SELECT * FROM users WHERE id = $1", ["9b2f-uuid"]],
  ])("tags %s with the table and its list", (sql, params) => {
    expect(reads(sql, params)).toEqual(expect.arrayContaining(USERS));
    expect(reads(sql, params).some((t) => t.includes(":id="))).toBe(false);
  });

  it("tags a join by every table and list", () => {
    expect(reads("SELECT * FROM users u JOIN audit_logs a ON a.user_id = u.id WHERE u.id = $1", ["1"])).toEqual([
      "public.audit_logs",
      "public.audit_logs:list",
      ...USERS,
    ]);
  });
});

describe("write tags", () => {
  it("bumps the rows a WHERE id = $n names, and the list", () => {
    expect(writes("UPDATE users SET role = $1 WHERE id = $2", ["admin", "7"])).toEqual(["public.users:list", "public.users:id=7"]);
    expect(writes("DELETE FROM users WHERE id = ANY($1::bigint[])", [[1, 2]])).toEqual(["public.users:list", "public.users:id=1", "public.users:id=2"]);
  });

  it("bumps the rows an INSERT returns, through the API's data-modifying CTE", () => {
    const sql = `WITH written AS (INSERT INTO users (email) VALUES ($1) RETURNING id::text AS id, email),
      audited AS (INSERT INTO audit_logs (user_id) SELECT id::bigint FROM written) SELECT * FROM written`;
    expect(writes(sql, ["a@b"], [{ id: "99", email: "a@b" }])).toEqual(["public.audit_logs", "public.users:list", "public.users:id=99"]);
    // Outcome unknown: the inserted id is not known, so the whole table.
    expect(writes(sql, ["a@b"], undefined)).toEqual(["public.audit_logs", "public.users"]);
  });

  it.each([
    ["UPDATE users SET id = $1 WHERE id = $2", [2, 1]],
    ["INSERT INTO users (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET id = excluded.id + 1 RETURNING id", [1]],
    ["UPDATE users SET role = 'x' WHERE role = $1", ["y"]],
    ["WITH w AS (UPDATE users SET role = 'x' RETURNING id) SELECT * FROM w LIMIT 1", []],
    ["UPDATE users SET role = 'x' WHERE id = $1", [{ not: "an id" }]],
  ])("bumps the whole table for %s", (sql, params) => {
    expect(writes(sql, params, [{ id: 1 }])).toEqual(["public.users"]);
  });

  it("bumps the table when a write names more rows than row tags are worth", () => {
    const ids = Array.from({ length: 101 }, (_, i) => i);
    expect(writes("UPDATE users SET role = 'x' WHERE id = ANY($1)", [ids])).toEqual(["public.users"]);
  });
});
