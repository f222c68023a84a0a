import { describe, expect, it } from "vitest";
import type { Catalog, IndexInfo } from "../../shared/db/advisor/catalog.ts";
import { coveredBy, duplicateIndexes, unusedIndexes } from "../../shared/db/advisor/findings.ts";
import type { Capabilities } from "../../shared/db/advisor/types.ts";

let oid = 100;
function index(name: string, keys: string[], extra: Partial<IndexInfo> = {}): IndexInfo {
  return {
    schema: "public", table: "t", name, oid: oid++, am: "btree", keys, include: [], keyTraits: keys.map(() => "3124/0/0"),
    predicate: null, unique: false, primary: false, constraint: null, valid: true, ready: true, scans: 5, sizeBytes: 8192, definition: name,
    ...extra,
  };
}
const catalogOf = (...indexes: IndexInfo[]): Catalog => ({ tables: new Map(), indexes });
const dupes = (...indexes: IndexInfo[]) => duplicateIndexes(catalogOf(...indexes)).map((f) => `${f.subject}<${f.evidence.covered_by}`);

describe("duplicate and prefix-covered indexes", () => {
  it("finds a prefix-covered index", () => {
    expect(dupes(index("a", ["x"]), index("ab", ["x", "y"]))).toEqual(["public.a<public.ab"]);
  });

  it("reports exact twins once, keeping the older", () => {
    expect(dupes(index("first", ["x", "y"]), index("second", ["x", "y"]))).toEqual(["public.second<public.first"]);
  });

  it("does not call a partial index a duplicate of a full one, or the reverse", () => {
    expect(dupes(index("full", ["x", "y"]), index("part", ["x"], { predicate: "(y > 0)" }))).toEqual([]);
    expect(dupes(index("part", ["x", "y"], { predicate: "(y > 0)" }), index("full", ["x"]))).toEqual([]);
  });

  it("keeps a unique index that a wider index starts with (its rule is stronger)", () => {
    expect(dupes(index("u", ["x"], { unique: true }), index("wide", ["x", "y"]))).toEqual([]);
  });

  it("calls a plain index covered by a unique one on the same keys, never the unique one", () => {
    expect(dupes(index("u", ["x"], { unique: true, constraint: "t_x_key" }), index("plain", ["x"]))).toEqual(["public.plain<public.u"]);
  });

  it("compares expressions, opclasses, order and access method, not just names", () => {
    expect(dupes(index("expr", ["lower(x)"]), index("col", ["x", "y"]))).toEqual([]);
    expect(dupes(index("desc", ["x"], { keyTraits: ["3124/0/3"] }), index("asc", ["x", "y"]))).toEqual([]);
    expect(dupes(index("hash", ["x"], { am: "hash" }), index("bt", ["x", "y"]))).toEqual([]);
    expect(dupes(index("pattern", ["x"], { keyTraits: ["10044/0/0"] }), index("bt", ["x", "y"]))).toEqual([]);
  });

  it("needs the INCLUDE columns in the keeper and ignores invalid keepers", () => {
    expect(dupes(index("inc", ["x"], { include: ["z"] }), index("ab", ["x", "y"]))).toEqual([]);
    expect(dupes(index("inc", ["x"], { include: ["y"] }), index("ab", ["x", "y"]))).toEqual(["public.inc<public.ab"]);
    expect(dupes(index("a", ["x"]), index("broken", ["x", "y"], { valid: false }))).toEqual([]);
  });
});

describe("unused indexes", () => {
  const capabilities: Capabilities = {
    pgStatStatements: true, hypopg: true, mode: "what-if", statementsResetAt: null,
    statsResetAt: "2026-11-28T00:00:00.000Z", notes: [],
  };

  it("lists never-scanned indexes with the stats age, skipping keys, unique and constraint indexes", () => {
    const findings = unusedIndexes(
      catalogOf(
        index("idle", ["x"], { scans: 0 }),
        index("busy", ["y"], { scans: 3 }),
        index("pk", ["id"], { scans: 0, primary: true, unique: true, constraint: "t_pkey" }),
        index("uniq", ["z"], { scans: 0, unique: true }),
        index("excl", ["w"], { scans: 0, constraint: "t_w_excl" }),
      ),
      capabilities,
      Date.parse("2026-11-29T12:00:00Z"),
    );
    expect(findings.map((f) => f.subject)).toEqual(["public.idle"]);
    expect(findings[0]?.evidence.stats_age_hours).toBe(36);
  });
});
