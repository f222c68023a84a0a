/**
 * Findings beyond new indexes, each with its evidence: unused indexes, duplicate or
 * prefix-covered indexes, INVALID indexes, tables read by heavy sequential scans and the
 * slow statements. The advisor only reports these; it never drops an index on its own.
 */
import type { Catalog, IndexInfo } from "./catalog.ts";
import type { AdvisorOptions, Capabilities, Finding, WorkloadStatement } from "./types.ts";

const qualified = (index: IndexInfo) => `${index.schema}.${index.name}`;

/** Hours between the stats reset and now, so "unused" can be weighed (1 hour of stats proves little). */
function statsAgeHours(capabilities: Capabilities, now: number): number | null {
  if (capabilities.statsResetAt === null) return null;
  return Math.round(((now - Date.parse(capabilities.statsResetAt)) / 3_600_000) * 10) / 10;
}

export function unusedIndexes(catalog: Catalog, capabilities: Capabilities, now: number): Finding[] {
  const age = statsAgeHours(capabilities, now);
  return catalog.indexes
    .filter((index) => index.valid && index.scans === 0 && !index.primary && !index.unique && index.constraint === null)
    .map((index) => ({
      kind: "unused_index" as const,
      subject: qualified(index),
      message: `${qualified(index)} on ${index.table} has not been scanned since the statistics were reset${age === null ? " (reset time unknown)" : ` ${age} h ago`}`,
      evidence: { idx_scan: 0, size_bytes: index.sizeBytes, stats_reset: capabilities.statsResetAt, stats_age_hours: age, definition: index.definition },
    }));
}

/**
 * `redundant` is covered by `keeper` when a scan of the keeper answers everything the redundant
 * index answers and dropping it loses no rule: same table, access method and predicate; the
 * redundant keys (columns or expressions, with opclass, collation and order) are a prefix of the
 * keeper's; its INCLUDE columns are in the keeper; and it enforces no uniqueness the keeper
 * does not enforce on exactly the same keys.
 */
export function coveredBy(redundant: IndexInfo, keeper: IndexInfo): boolean {
  if (redundant.oid === keeper.oid || redundant.schema !== keeper.schema || redundant.table !== keeper.table) return false;
  if (redundant.am !== keeper.am || redundant.am !== "btree" || !keeper.valid || !redundant.valid) return false;
  if (redundant.predicate !== keeper.predicate) return false;
  if (redundant.primary || redundant.constraint !== null) return false;
  if (redundant.keys.length > keeper.keys.length) return false;
  for (let i = 0; i < redundant.keys.length; i++) {
    if (redundant.keys[i] !== keeper.keys[i] || redundant.keyTraits[i] !== keeper.keyTraits[i]) return false;
  }
  const keeperColumns = new Set([...keeper.keys, ...keeper.include]);
  if (!redundant.include.every((c) => keeperColumns.has(c))) return false;
  if (redundant.unique) {
    // Uniqueness over (a) is a stronger rule than over (a, b): only an identical unique twin covers it.
    return keeper.unique && keeper.keys.length === redundant.keys.length;
  }
  return true;
}

export function duplicateIndexes(catalog: Catalog): Finding[] {
  const findings: Finding[] = [];
  for (const redundant of catalog.indexes) {
    const keeper = catalog.indexes.find(
      (other) =>
        coveredBy(redundant, other) &&
        // Exact twins: report only one of the pair (keep the older one, lower oid) unless the other one is stronger.
        !(coveredBy(other, redundant) && (other.unique === redundant.unique ? other.oid > redundant.oid : redundant.unique)),
    );
    if (keeper === undefined) continue;
    const exact = keeper.keys.length === redundant.keys.length;
    findings.push({
      kind: "duplicate_index",
      subject: qualified(redundant),
      message: exact
        ? `${qualified(redundant)} duplicates ${qualified(keeper)}`
        : `${qualified(redundant)} is a prefix of ${qualified(keeper)}, which serves the same lookups`,
      evidence: {
        covered_by: qualified(keeper),
        exact,
        size_bytes: redundant.sizeBytes,
        idx_scan: redundant.scans,
        definition: redundant.definition,
        covering_definition: keeper.definition,
      },
    });
  }
  return findings;
}

export function invalidIndexes(catalog: Catalog): Finding[] {
  return catalog.indexes
    .filter((index) => !index.valid)
    .map((index) => ({
      kind: "invalid_index" as const,
      subject: qualified(index),
      message: `${qualified(index)} is INVALID (a failed or interrupted CREATE INDEX CONCURRENTLY): it costs writes and serves no reads; drop it with DROP INDEX CONCURRENTLY and rebuild`,
      evidence: { ready: index.ready, size_bytes: index.sizeBytes, definition: index.definition },
    }));
}

export function heavySeqScans(catalog: Catalog, options: AdvisorOptions): Finding[] {
  return [...catalog.tables.values()]
    .filter((t) => t.seqScans > 0 && t.seqTupRead >= options.seqScanTupleThreshold)
    .sort((a, b) => b.seqTupRead - a.seqTupRead)
    .map((t) => ({
      kind: "heavy_seq_scan" as const,
      subject: `${t.schema}.${t.table}`,
      message: `${t.schema}.${t.table} was read by ${t.seqScans} sequential scans (${t.seqTupRead} rows) against ${t.idxScans} index scans`,
      evidence: { seq_scan: t.seqScans, seq_tup_read: t.seqTupRead, idx_scan: t.idxScans, rows: t.rows, rows_per_seq_scan: Math.round(t.seqTupRead / t.seqScans) },
    }));
}

/** Tables the workload reads that were never ANALYZEd: the what-if costs there are the planner's defaults. */
export function missingStatistics(catalog: Catalog, workload: readonly WorkloadStatement[]): Finding[] {
  return [...catalog.tables.values()]
    .filter((t) => !t.analyzed && workload.some((s) => new RegExp(`\\b${t.table.replace(/[^A-Za-z0-9_]/g, "")}\\b`).test(s.query)))
    .map((t) => ({
      kind: "missing_statistics" as const,
      subject: `${t.schema}.${t.table}`,
      message: `${t.schema}.${t.table} has no planner statistics (never analysed): its costs are guesses, so recommendations on it are weak; run ANALYZE ${t.schema}.${t.table}`,
      evidence: { reltuples: -1, pages: t.pages },
    }));
}

export function slowStatements(workload: readonly WorkloadStatement[], options: AdvisorOptions): Finding[] {
  return workload
    .filter((s) => s.meanMs >= options.slowStatementMs)
    .map((s) => ({
      kind: "slow_statement" as const,
      subject: s.queryid,
      message: `mean ${s.meanMs.toFixed(1)} ms over ${s.calls} calls: ${s.query.slice(0, 200)}`,
      evidence: { calls: s.calls, mean_ms: Math.round(s.meanMs * 100) / 100, total_ms: Math.round(s.totalMs), rows: s.rows },
    }));
}
