/**
 * Reads what the ClickHouse analysis needs from the system tables of one database.
 * system.query_log may be missing (the embedded engine behind the local endpoint keeps no
 * system logs) or empty (log_queries = 0): both become a note, and the parts analysis runs anyway.
 */
import type { ClickHouseState, LoggedQuery } from "./analyse.ts";
import { splitTopLevel } from "./sql-shape.ts";

/** One statement per call, rows as objects (the migration runner's ClickHouseExecutor fits). */
export interface SystemTableReader {
  query(sql: string): Promise<Record<string, unknown>[]>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ReadOptions {
  /** How far back query_log is read. */
  windowHours: number;
}

export async function readClickHouseState(reader: SystemTableReader, database: string, options: ReadOptions = { windowHours: 24 }): Promise<ClickHouseState> {
  if (!IDENTIFIER.test(database)) throw new Error(`ClickHouse database name "${database}" is not a plain identifier`);
  const notes: string[] = [];
  const tableRows = await reader.query(
    `SELECT name, engine, sorting_key FROM system.tables WHERE database = '${database}' AND NOT is_temporary`,
  );
  const columnRows = await reader.query(`SELECT table, name FROM system.columns WHERE database = '${database}'`);
  const columns = new Map<string, string[]>();
  for (const row of columnRows) {
    const list = columns.get(String(row.table)) ?? [];
    list.push(String(row.name));
    columns.set(String(row.table), list);
  }
  const tables = tableRows.map((row) => ({
    name: String(row.name),
    engine: String(row.engine),
    sortingKey: splitTopLevel(String(row.sorting_key ?? "")),
    columns: columns.get(String(row.name)) ?? [],
  }));
  const partRows = await reader.query(
    `SELECT table, partition_id AS partition, count() AS parts, sum(rows) AS rows
     FROM system.parts WHERE database = '${database}' AND active
     GROUP BY table, partition_id ORDER BY parts DESC`,
  );
  const parts = partRows.map((row) => ({
    table: String(row.table),
    partition: String(row.partition),
    parts: Number(row.parts),
    rows: Number(row.rows),
  }));

  let queryLog: LoggedQuery[] | null = null;
  try {
    const rows = await reader.query(
      `SELECT any(query) AS query, count() AS calls, sum(query_duration_ms) AS total_ms
       FROM system.query_log
       WHERE type = 'QueryFinish' AND query_kind = 'Select' AND has(databases, '${database}')
         AND event_time > now() - INTERVAL ${Math.max(1, Math.trunc(options.windowHours))} HOUR
       GROUP BY normalized_query_hash ORDER BY total_ms DESC LIMIT 200`,
    );
    queryLog = rows.map((row) => ({ query: String(row.query), calls: Number(row.calls), totalMs: Number(row.total_ms) }));
    if (queryLog.length === 0) {
      notes.push("system.query_log has no SELECTs for this database in the window: is log_queries enabled for the clients?");
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    notes.push(
      `system.query_log is not readable (${message.slice(0, 160)}): filter and aggregation advice needs it ` +
        "(a ClickHouse server with the query_log section enabled and log_queries = 1); parts were still checked",
    );
  }
  return { database, tables, parts, queryLog, notes };
}
