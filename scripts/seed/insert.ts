/**
 * Bulk insert through `INSERT ... SELECT * FROM unnest($1::t[], ...)`: one statement and one
 * round trip per batch, no COPY stream dependency, and Postgres parses each array once.
 */
import type { ColumnBatch, TableSpec } from "./tables.ts";

export interface BulkQueryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export function unnestInsertSql(spec: TableSpec): string {
  const names = spec.columns.map(([name]) => name).join(", ");
  const arrays = spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
  const overriding = spec.identity ? " OVERRIDING SYSTEM VALUE" : "";
  return `INSERT INTO ${spec.table} (${names})${overriding} SELECT * FROM unnest(${arrays})`;
}

/**
 * Inserts every batch, generating the next one while the previous statement runs
 * (the only overlap available to one connection). Returns the rows inserted.
 */
export async function insertBatches(
  client: BulkQueryable,
  spec: TableSpec,
  batches: Iterable<ColumnBatch>,
  onBatch?: (rowsSoFar: number) => void,
): Promise<number> {
  const sql = unnestInsertSql(spec);
  let total = 0;
  let inFlight: Promise<unknown> | undefined;
  for (const batch of batches) {
    if (inFlight !== undefined) await inFlight;
    inFlight = client.query(sql, batch.columns);
    total += batch.rows;
    onBatch?.(total);
  }
  await inFlight;
  return total;
}

/** Moves an identity column past the ids inserted explicitly, so later app inserts do not collide. */
export function syncIdentitySql(spec: TableSpec, column = "id"): string {
  return `SELECT setval(pg_get_serial_sequence('${spec.table}', '${column}'), coalesce(max(${column}), 0) + 1, false) FROM ${spec.table}`;
}
