/**
 * What the advisor reads from the system catalogs: tables with their columns and write
 * activity, and every index with enough structure to compare two of them honestly
 * (expressions, predicates, opclasses, uniqueness, constraints, validity).
 */
import type { SessionExecutor } from "./types.ts";

export interface TableInfo {
  schema: string;
  table: string;
  oid: number;
  columns: string[];
  rows: number;
  pages: number;
  seqScans: number;
  seqTupRead: number;
  idxScans: number;
  /** Rows inserted + updated + deleted since the stats reset. */
  writes: number;
  /** Text columns whose collation is not C: a prefix LIKE on them needs text_pattern_ops. */
  patternOpsColumns: string[];
  /** False when the table was never ANALYZEd (no row estimate): the planner's costs there are guesses. */
  analyzed: boolean;
}

export interface IndexInfo {
  schema: string;
  table: string;
  name: string;
  oid: number;
  am: string;
  /** Key columns; an expression key is its deparsed text in parentheses. */
  keys: string[];
  include: string[];
  /** Per key column: opclass oid, collation oid, indoption (DESC/NULLS FIRST bits). */
  keyTraits: string[];
  predicate: string | null;
  unique: boolean;
  primary: boolean;
  /** Backs a PRIMARY KEY, UNIQUE or EXCLUDE constraint (dropping it would drop a rule). */
  constraint: string | null;
  valid: boolean;
  ready: boolean;
  scans: number;
  sizeBytes: number;
  definition: string;
}

export interface Catalog {
  tables: Map<string, TableInfo>;
  indexes: IndexInfo[];
}

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

export function tableKey(schema: string, table: string): string {
  return `${schema}.${table}`;
}

/** User tables and indexes of the connected database (system schemas excluded). */
export async function readCatalog(db: SessionExecutor): Promise<Catalog> {
  const tables = await db.query(`
    SELECT n.nspname AS schema, c.relname AS "table", c.oid::int AS oid,
           greatest(c.reltuples, 0)::float8 AS rows, c.relpages::int AS pages,
           coalesce(s.seq_scan, 0)::float8 AS seq_scan, coalesce(s.seq_tup_read, 0)::float8 AS seq_tup_read,
           coalesce(s.idx_scan, 0)::float8 AS idx_scan,
           (coalesce(s.n_tup_ins, 0) + coalesce(s.n_tup_upd, 0) + coalesce(s.n_tup_del, 0))::float8 AS writes,
           array(SELECT a.attname::text FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
           array(SELECT a.attname::text FROM pg_attribute a
                 LEFT JOIN pg_collation co ON co.oid = a.attcollation
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
                   AND coalesce(nullif(co.collcollate, ''), (SELECT datcollate FROM pg_database WHERE datname = current_database()))
                       NOT IN ('C', 'POSIX')) AS pattern_ops_columns,
           (c.reltuples >= 0 OR s.last_analyze IS NOT NULL OR s.last_autoanalyze IS NOT NULL) AS analyzed
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
    WHERE c.relkind IN ('r', 'p', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg_temp%'`);
  const byKey = new Map<string, TableInfo>();
  for (const row of tables.rows) {
    const info: TableInfo = {
      schema: String(row.schema),
      table: String(row.table),
      oid: num(row.oid),
      columns: (row.columns as string[]).map(String),
      rows: num(row.rows),
      pages: num(row.pages),
      seqScans: num(row.seq_scan),
      seqTupRead: num(row.seq_tup_read),
      idxScans: num(row.idx_scan),
      writes: num(row.writes),
      patternOpsColumns: (row.pattern_ops_columns as string[]).map(String),
      analyzed: row.analyzed === true,
    };
    byKey.set(tableKey(info.schema, info.table), info);
  }

  const indexes = await db.query(`
    SELECT n.nspname AS schema, t.relname AS "table", i.relname AS name, i.oid::int AS oid, am.amname AS am,
           x.indnkeyatts::int AS nkey, x.indisunique AS "unique", x.indisprimary AS "primary",
           x.indisvalid AS valid, x.indisready AS ready,
           pg_get_expr(x.indpred, x.indrelid) AS predicate,
           con.conname AS "constraint",
           coalesce(s.idx_scan, 0)::float8 AS scans,
           pg_relation_size(i.oid)::float8 AS size_bytes,
           pg_get_indexdef(i.oid) AS definition,
           array(SELECT pg_get_indexdef(i.oid, k, true) FROM generate_series(1, x.indnatts) AS k ORDER BY k) AS cols,
           array(SELECT concat(x.indclass[k - 1], '/', x.indcollation[k - 1], '/', x.indoption[k - 1])
                 FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k) AS traits
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_am am ON am.oid = i.relam
    LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u', 'x')
    LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = x.indexrelid
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg_temp%'`);
  const list: IndexInfo[] = indexes.rows.map((row) => {
    const cols = (row.cols as string[]).map(String);
    const nkey = num(row.nkey);
    return {
      schema: String(row.schema),
      table: String(row.table),
      name: String(row.name),
      oid: num(row.oid),
      am: String(row.am),
      keys: cols.slice(0, nkey).map(unquoteSimple),
      include: cols.slice(nkey).map(unquoteSimple),
      keyTraits: (row.traits as string[]).map(String),
      predicate: row.predicate === null ? null : String(row.predicate),
      unique: row.unique === true,
      primary: row.primary === true,
      constraint: row.constraint === null ? null : String(row.constraint),
      valid: row.valid === true,
      ready: row.ready === true,
      scans: num(row.scans),
      sizeBytes: num(row.size_bytes),
      definition: String(row.definition),
    };
  });
  return { tables: byKey, indexes: list };
}

/** pg_get_indexdef quotes a column only when it must; compare plain names unquoted. */
function unquoteSimple(text: string): string {
  const quoted = /^"((?:[^"]|"")*)"$/.exec(text);
  return quoted ? quoted[1]!.replaceAll('""', '"') : text;
}

/** True when `index` is a plain (non-expression, non-partial, valid) B-tree whose keys start with `columns`. */
export function servesPrefix(index: IndexInfo, columns: readonly string[]): boolean {
  if (index.am !== "btree" || index.predicate !== null || !index.valid) return false;
  if (columns.length > index.keys.length) return false;
  return columns.every((column, i) => index.keys[i] === column);
}
