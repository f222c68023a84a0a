import { describe, expect, it } from "vitest";
import { workloadCandidates } from "../../shared/db/advisor/analysis.ts";
import { analyseStatement, candidatesFor } from "../../shared/db/advisor/candidates.ts";
import type { Catalog, TableInfo } from "../../shared/db/advisor/catalog.ts";

function table(name: string, columns: string[]): TableInfo {
  return { schema: "public", table: name, oid: 1, columns, rows: 1e6, pages: 1e4, seqScans: 0, seqTupRead: 0, idxScans: 0, writes: 0, patternOpsColumns: [], analyzed: true };
}

const catalog: Catalog = {
  tables: new Map([
    ["public.users", table("users", ["id", "email", "display_name", "plan_tier", "role", "created_at", "updated_at"])],
    ["public.audit_logs", table("audit_logs", ["id", "occurred_at", "user_id", "action", "resource", "metadata"])],
    ["public.agent_states", table("agent_states", ["session_id", "user_id", "state", "data", "version", "created_at", "updated_at"])],
  ]),
  indexes: [],
};

const cols = (sql: string) => candidatesFor(analyseStatement(sql, catalog)![0]!).map((c) => c.columns.join(",") + (c.include.length ? ` include ${c.include.join(",")}` : ""));

describe("candidate indexes from the SQL", () => {
  it("puts equality columns first, then the range column, then the sort", () => {
    const list = cols("SELECT id FROM audit_logs WHERE occurred_at >= $2 AND user_id = $1 ORDER BY occurred_at DESC LIMIT $3");
    expect(list[0]).toBe("user_id,occurred_at");
    expect(list).toContain("user_id");
  });

  it("offers a covering variant when the statement reads few other columns", () => {
    const list = cols("SELECT action, resource FROM audit_logs WHERE user_id = $1 AND occurred_at > $2");
    expect(list).toContain("user_id,occurred_at include action,resource");
  });

  it("offers no covering variant for SELECT * or for writes", () => {
    expect(cols("SELECT * FROM audit_logs WHERE user_id = $1 AND occurred_at > $2").some((c) => c.includes("include"))).toBe(false);
    expect(cols("UPDATE agent_states SET state = $1 WHERE user_id = $2 AND updated_at < $3")).toEqual(["user_id,updated_at", "user_id", "updated_at"]);
  });

  it("reads IN lists, = ANY, IS NULL and BETWEEN", () => {
    const usage = analyseStatement(
      "SELECT id FROM audit_logs WHERE action IN ($1, $2) AND user_id = ANY($3) AND resource IS NULL AND occurred_at BETWEEN $4 AND $5",
      catalog,
    )![0]!;
    expect(usage.eq).toEqual(["action", "user_id", "resource"]);
    expect(usage.range).toEqual(["occurred_at"]);
  });

  it("turns join conditions into lookups on both sides and resolves aliases", () => {
    const usages = analyseStatement(
      "SELECT u.email, a.action FROM audit_logs a JOIN users u ON u.id = a.user_id WHERE u.plan_tier = $1",
      catalog,
    )!;
    const byTable = Object.fromEntries(usages.map((u) => [u.table.table, u]));
    expect(byTable.audit_logs?.eq).toEqual(["user_id"]);
    expect(byTable.users?.eq).toEqual(["id", "plan_tier"]);
  });

  it("uses GROUP BY columns after the equality columns", () => {
    expect(cols("SELECT action, count(*) FROM audit_logs WHERE user_id = $1 GROUP BY action")).toContain("user_id,action");
  });

  it("ignores columns it cannot attribute and tables it does not know", () => {
    expect(analyseStatement("SELECT * FROM elsewhere WHERE x = $1", catalog)).toEqual([]);
    const usage = analyseStatement("SELECT id FROM users WHERE lower(email) = $1", catalog)![0]!;
    expect(usage.eq).toEqual([]);
  });

  it("looks inside CTEs and sub-selects", () => {
    const usages = analyseStatement(
      "WITH recent AS (SELECT user_id FROM audit_logs WHERE occurred_at > $1) SELECT * FROM users WHERE id IN (SELECT user_id FROM recent) AND email = $2",
      catalog,
    )!;
    const byTable = Object.fromEntries(usages.map((u) => [u.table.table, u]));
    expect(byTable.audit_logs?.range).toEqual(["occurred_at"]);
    expect(byTable.users?.eq).toEqual(["email"]);
  });

  it("deduplicates across the workload and reports what it cannot parse", () => {
    const result = workloadCandidates(
      [
        { queryid: "1", query: "SELECT * FROM users WHERE email = $1" },
        { queryid: "2", query: "SELECT id FROM users WHERE email = $1 AND role = $2" },
        { queryid: "3", query: "SELECT FROM WHERE ((" },
      ].map((s) => ({ queryid: s.queryid, usages: analyseStatement(s.query, catalog), reason: "unreadable" })),
    );
    expect(result.coverage.filter((c) => c.candidates === 0)).toEqual([{ queryid: "3", candidates: 0, reason: "unreadable" }]);
    const email = result.candidates.filter((c) => c.columns.join() === "email" && c.include.length === 0);
    expect(email).toHaveLength(1);
    expect([...result.sources.get("public.users(email)[]")!]).toEqual(["1", "2"]);
  });
});
