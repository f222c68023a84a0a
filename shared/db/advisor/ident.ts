/** Identifier quoting and the advisor's deterministic index names and DDL. */
import type { IndexCandidate } from "./types.ts";

/** Always quoted: mixed case, reserved words and odd characters stay what they are. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal (standard_conforming_strings: only the quote is doubled). */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** FNV-1a over the text: a short, stable suffix that keeps truncated names unique. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0").slice(0, 6);
}

const MAX_IDENTIFIER = 63;

/**
 * The same candidate always gets the same name, so a re-run finds its own index instead of
 * building a twin: `<table>_<col>_<col>[_inc]_<hash>_adv`, truncated to Postgres' 63 bytes.
 *
 * @example
 * indexName({ schema: "public", table: "audit_logs", columns: ["user_id", "occurred_at"], include: [], reasons: [] });
 * // "audit_logs_user_id_occurred_at_1f3a9c_adv"
 */
export function indexName(candidate: IndexCandidate): string {
  // Plain candidates keep the signature earlier versions used, so a re-run still finds their indexes.
  const extra = extraKey(candidate);
  const signature = `${candidate.schema}.${candidate.table}(${candidate.columns.join(",")})include(${candidate.include.join(",")})${extra}`;
  const suffix = `_${shortHash(signature)}_adv`;
  const readable = [candidate.table, ...candidate.columns, ...(candidate.include.length > 0 ? ["inc"] : []), ...(candidate.where ? ["part"] : [])]
    .join("_")
    .replace(/[^A-Za-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .toLowerCase();
  const budget = MAX_IDENTIFIER - suffix.length;
  // Byte length, not characters: identifiers are limited in bytes.
  let head = readable;
  while (new TextEncoder().encode(head).length > budget) head = head.slice(0, -1);
  return `${head}${suffix}`;
}

/** The CREATE INDEX statement for a candidate; `concurrently` for real builds, not for hypopg. */
export function indexDdl(candidate: IndexCandidate, name: string, concurrently: boolean): string {
  const include = candidate.include.length > 0 ? ` INCLUDE (${candidate.include.map(quoteIdent).join(", ")})` : "";
  const where = candidate.where ? ` WHERE ${candidate.where}` : "";
  return (
    `CREATE INDEX ${concurrently ? "CONCURRENTLY IF NOT EXISTS " : ""}${quoteIdent(name)} ` +
    `ON ${quoteIdent(candidate.schema)}.${quoteIdent(candidate.table)} USING btree (${candidate.columns.map((key) => keySql(candidate, key)).join(", ")})${include}${where}`
  );
}

/** An expression key is Postgres' own deparse of a plan condition, so it goes in as it came out. */
export function isExpressionKey(key: string): boolean {
  return key.startsWith("(") && key.endsWith(")");
}

function keySql(candidate: IndexCandidate, key: string): string {
  const sql = isExpressionKey(key) ? key : quoteIdent(key);
  const ops = candidate.patternOps?.includes(key) ? `${sql} text_pattern_ops` : sql;
  return candidate.descending?.includes(key) ? `${ops} DESC` : ops;
}

/** A stable identity for a candidate (dedup, maps). */
export function candidateKey(candidate: IndexCandidate): string {
  return `${plainKey(candidate)}${extraKey(candidate)}`;
}

function plainKey(candidate: IndexCandidate): string {
  return `${candidate.schema}.${candidate.table}(${candidate.columns.join(",")})[${candidate.include.join(",")}]`;
}

function extraKey(candidate: IndexCandidate): string {
  const ops = candidate.patternOps?.length ? `{pattern:${candidate.patternOps.join(",")}}` : "";
  const desc = candidate.descending?.length ? `{desc:${candidate.descending.join(",")}}` : "";
  const where = candidate.where ? ` WHERE ${candidate.where}` : "";
  return `${ops}${desc}${where}`;
}
