import { describe, expect, it } from "vitest";
import type { Catalog, TableInfo } from "../../shared/db/advisor/catalog.ts";
import { analyseStatement, candidatesFor } from "../../shared/db/advisor/candidates.ts";
import { indexDdl } from "../../shared/db/advisor/ident.ts";
import { usagesFromPlan } from "../../shared/db/advisor/plan-usage.ts";
import { classify, conjuncts, sortEntry } from "../../shared/db/advisor/quals.ts";
import { specialise } from "../../shared/db/advisor/representative.ts";

function table(name: string, columns: string[], patternOpsColumns: string[] = []): TableInfo {
  return { schema: "public", table: name, oid: 1, columns, rows: 1e6, pages: 1e4, seqScans: 0, seqTupRead: 0, idxScans: 0, writes: 0, patternOpsColumns, analyzed: true };
}

const catalog: Catalog = {
  tables: new Map([
    ["public.p", table("p", ["id", "name", "attrs", "archived", "created_at", "cat"], ["name"])],
    ["public.q", table("q", ["id", "p_id", "status"])],
  ]),
  indexes: [],
};

describe("plan conditions", () => {
  it("splits conjuncts at the top level only, respecting parentheses and quotes", () => {
    expect(conjuncts("((NOT p.archived) AND (lower(p.name) ~~ $3) AND ((p.attrs ->> 'a AND b'::text) = $2))")).toEqual([
      "NOT p.archived",
      "lower(p.name) ~~ $3",
      "(p.attrs ->> 'a AND b'::text) = $2",
    ]);
  });

  it("classifies equality, range, LIKE, joins, constant predicates and expressions", () => {
    expect(classify("p.cat = ANY ($4)")).toEqual({ kind: "eq", side: { alias: "p", key: "cat", expression: false, params: [] } });
    expect(classify("p.cat = $4")).toMatchObject({ kind: "eq", side: { key: "cat" }, param: 4 });
    expect(classify("p.created_at >= $1")).toMatchObject({ kind: "range", side: { key: "created_at" } });
    expect(classify("(p.name)::text ~~ $3")).toMatchObject({ kind: "like", side: { key: "name" }, param: 3 });
    expect(classify("lower(p.name) = lower($1)")).toMatchObject({ kind: "eq", side: { key: "(lower(name))", expression: true } });
    expect(classify("(p.attrs ->> $1) = $2")).toMatchObject({ kind: "eq", side: { key: "(attrs ->> $1)", params: [1] } });
    expect(classify("q.p_id = p.id")).toMatchObject({ kind: "join", left: { alias: "q", key: "p_id" }, right: { alias: "p", key: "id" } });
    expect(classify("NOT p.archived")).toEqual({ kind: "constant", alias: "p", text: "NOT archived" });
    expect(classify("p.created_at IS NOT NULL")).toEqual({ kind: "constant", alias: "p", text: "created_at IS NOT NULL" });
    expect(classify("p.name ~~* $1")).toMatchObject({ kind: "other" });
    expect(classify("p.cat = q.id + p.id")).toMatchObject({ kind: "other" });
  });

  it("reads sort keys with direction and collation", () => {
    expect(sortEntry('p.name COLLATE "C.utf8" DESC')).toMatchObject({ side: { key: "name" }, descending: true });
  });
});

describe("usages from a generic plan", () => {
  const plan = {
    "Node Type": "Limit",
    Output: ["p.id", "p.name"],
    Plans: [
      {
        "Node Type": "Sort",
        "Sort Key": ["p.created_at DESC"],
        Output: ["p.id", "p.name", "p.created_at"],
        Plans: [
          {
            "Node Type": "Hash Join",
            "Hash Cond": "(q.p_id = p.id)",
            Output: ["p.id", "p.name", "p.created_at"],
            Plans: [
              { "Node Type": "Seq Scan", "Relation Name": "q", Schema: "public", Alias: "q", Filter: "(q.status = $5)", Output: ["q.p_id"] },
              {
                "Node Type": "Seq Scan",
                "Relation Name": "p",
                Schema: "public",
                Alias: "p",
                Filter: "((NOT p.archived) AND (lower(p.name) ~~ $3) AND ((p.attrs ->> $1) = $2) AND (p.cat = ANY ($4)))",
                Output: ["p.id", "p.name", "p.created_at"],
              },
            ],
          },
        ],
      },
    ],
  };

  it("finds per table the keys, the sort, the partial predicate and the placeholders that need values", () => {
    const { usages, needs } = usagesFromPlan(plan, catalog);
    const p = usages.find((u) => u.table.table === "p")!;
    const q = usages.find((u) => u.table.table === "q")!;
    expect(q.eq).toEqual(["p_id", "status"]);
    expect(p.eq).toEqual(["id", "cat"]);
    expect(p.like).toEqual(["(lower(name))"]);
    expect(p.partial).toEqual(["NOT archived"]);
    expect(p.sort).toEqual(["created_at"]);
    expect([...p.selected!]).toEqual(expect.arrayContaining(["id", "name", "created_at"]));
    expect(needs.map((n) => ({ kind: n.kind, param: n.param }))).toEqual([
      { kind: "eq-value", param: 5 },
      { kind: "like-pattern", param: 3 },
      { kind: "json-key", param: 1 },
    ]);
  });

  it("makes a text_pattern_ops candidate for a LIKE on an expression over a non-C text column, and partial variants", () => {
    const p = usagesFromPlan(plan, catalog).usages.find((u) => u.table.table === "p")!;
    const candidates = candidatesFor(p);
    const like = candidates.find((c) => c.reasons.some((r) => r.startsWith("like:")) && c.where === undefined && c.include.length === 0)!;
    expect(indexDdl(like, "ix", false)).toBe('CREATE INDEX "ix" ON "public"."p" USING btree ("id", "cat", (lower(name)) text_pattern_ops)');
    expect(candidates.some((c) => c.where === "NOT archived" && c.columns.join() === "id,cat")).toBe(true);
  });

  it("gives writes no covering candidates", () => {
    const update = { "Node Type": "ModifyTable", Plans: [{ "Node Type": "Seq Scan", "Relation Name": "q", Schema: "public", Alias: "q", Filter: "(q.status = $1)", Output: ["q.id", "q.ctid"] }] };
    expect(usagesFromPlan(update, catalog).usages[0]!.selected).toBeNull();
  });
});

describe("sort directions", () => {
  it("stores DESC keys descending when an ORDER BY mixes directions, and not when it is uniform", () => {
    const ddl = (sql: string) =>
      candidatesFor(analyseStatement(sql, catalog)![0]!)
        .filter((c) => c.reasons.some((r) => r.startsWith("sort:")) && c.include.length === 0)
        .map((c) => indexDdl(c, "ix", false));
    expect(ddl("SELECT id FROM q WHERE p_id = $1 ORDER BY status, id DESC LIMIT 5")).toContain('CREATE INDEX "ix" ON "public"."q" USING btree ("p_id", "status", "id" DESC)');
    expect(ddl("SELECT id FROM q WHERE p_id = $1 ORDER BY status DESC, id DESC LIMIT 5")).toContain('CREATE INDEX "ix" ON "public"."q" USING btree ("p_id", "status", "id")');
  });

  it("reads the directions from a plan's sort key too", () => {
    const plan = { "Node Type": "Sort", "Sort Key": ["q.status", "q.id DESC"], Plans: [{ "Node Type": "Seq Scan", "Relation Name": "q", Schema: "public", Alias: "q" }] };
    const usage = usagesFromPlan(plan, catalog).usages[0]!;
    expect(usage.sort).toEqual(["status", "id"]);
    expect(usage.sortDesc).toEqual(["id"]);
    expect(candidatesFor(usage).some((c) => c.descending?.join() === "id")).toBe(true);
  });
});

describe("representative values", () => {
  it("replaces the chosen placeholders with literals and renumbers the rest from $1", () => {
    expect(specialise("SELECT id FROM p WHERE attrs ->> $2 = $1 AND name LIKE $3 LIMIT $4", [{ param: 2, literal: "'brand'", source: "" }, { param: 3, literal: "'ab%'", source: "" }])).toBe(
      "SELECT id FROM p WHERE attrs ->> 'brand' = $1 AND name LIKE 'ab%' LIMIT $2",
    );
  });
});
