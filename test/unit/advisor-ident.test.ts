import { describe, expect, it } from "vitest";
import { indexDdl, indexName, quoteIdent } from "../../shared/db/advisor/ident.ts";
import { normaliseStatement } from "../../shared/db/advisor/workload.ts";
import { parameterCount } from "../../shared/db/advisor/planner.ts";

const candidate = (table: string, columns: string[], include: string[] = []) => ({ schema: "public", table, columns, include, reasons: [] });

describe("index names and DDL", () => {
  it("names the same candidate the same way, and different ones differently", () => {
    expect(indexName(candidate("audit_logs", ["user_id", "occurred_at"]))).toBe(indexName(candidate("audit_logs", ["user_id", "occurred_at"])));
    expect(indexName(candidate("audit_logs", ["user_id", "occurred_at"]))).not.toBe(indexName(candidate("audit_logs", ["occurred_at", "user_id"])));
    expect(indexName(candidate("t", ["a"], ["b"]))).not.toBe(indexName(candidate("t", ["a"])));
  });

  it("stays within 63 bytes and keeps long names distinct", () => {
    const long = "x".repeat(60);
    const a = indexName(candidate(long, [`${long}_a`, "é".repeat(40)]));
    const b = indexName(candidate(long, [`${long}_b`, "é".repeat(40)]));
    expect(new TextEncoder().encode(a).length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
  });

  it("quotes every identifier", () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(indexDdl(candidate("Order", ["select", "Mixed"], ["x"]), "n", true)).toBe(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "n" ON "public"."Order" USING btree ("select", "Mixed") INCLUDE ("x")',
    );
  });
});

describe("statement text", () => {
  it("folds IN lists of placeholders so variants group", () => {
    expect(normaliseStatement("SELECT *  FROM t\n WHERE id IN ($1, $2, $3);")).toBe("SELECT * FROM t WHERE id IN ($1)");
  });

  it("counts the parameters EXECUTE needs", () => {
    expect(parameterCount("SELECT $1, $12, $3")).toBe(12);
    expect(parameterCount("SELECT 1")).toBe(0);
  });
});
