/**
 * Everything the optimizer derives from a statement's text, computed once per
 * distinct text and kept in a small LRU: the parse, the fingerprint, the cache
 * key prefix and the default query class. The hot path then costs one map lookup.
 *
 * @example
 * const catalog = new StatementCatalog(policy);
 * catalog.get("select * from users where id = $1").queryClass; // "user"
 */
import { LRUCache } from "lru-cache";
import { fingerprintOf, hash53, type Fingerprint } from "./fingerprint.ts";
import { classForTables, type QueryPolicy } from "./query-policy.ts";
import type { QueryClass } from "./query-types.ts";
import { listTag } from "./row-bounds.ts";
import { analyzeStatement, type StatementAnalysis } from "./sql-analysis.ts";

export interface CatalogEntry {
  analysis: StatementAnalysis;
  fp: Fingerprint;
  /**
   * "q:<hash of the exact text>:" — the exact text, not the fingerprint, because two
   * statements differing only in literals share a fingerprint but not a result.
   * Two independently seeded 53-bit hashes (106 bits): a collision would serve one
   * statement's rows for another, so the key is kept far beyond birthday range.
   */
  keyPrefix: string;
  /**
   * The invalidation tags of a cached read that is not by id: each table it reads and that
   * table's list tag (./row-bounds.ts). A read by id is tagged per call, by its row.
   */
  tags: readonly string[];
  queryClass: QueryClass;
}

export class StatementCatalog {
  private readonly entries: LRUCache<string, CatalogEntry>;

  constructor(private readonly policy: QueryPolicy) {
    this.entries = new LRUCache({ max: policy.analysisCacheSize });
  }

  get(sql: string): CatalogEntry {
    let entry = this.entries.get(sql);
    if (entry === undefined) {
      const analysis = analyzeStatement(sql);
      entry = {
        analysis,
        fp: fingerprintOf(sql),
        keyPrefix: `q:${hash53(sql).toString(36)}.${hash53(sql, 0x9e3779b9).toString(36)}:`,
        tags: analysis.tablesRead.flatMap((table) => [table, listTag(table)]),
        queryClass: classForTables(this.policy, analysis.tablesRead),
      };
      this.entries.set(sql, entry);
    }
    return entry;
  }
}
