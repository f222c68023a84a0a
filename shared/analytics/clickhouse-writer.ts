/**
 * The one thing the event sink needs from ClickHouse: insert rows into a table.
 * An interface, so the sink is unit-tested with a fake and the same code runs in a
 * Worker, a room, a benchmark and a test.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";

export interface InsertOptions {
  /**
   * The same for a resend of the same rows: ClickHouse then stores them once
   * (insert_deduplication_token; the raw tables and rollups keep a deduplication window).
   */
  dedupToken?: string;
}

export interface ClickHouseWriter {
  /** Inserts all rows as one JSONEachRow request; rejects when ClickHouse did not take them. */
  insert(table: string, rows: readonly object[], options?: InsertOptions): Promise<void>;
}

/**
 * A writer over @clickhouse/client-web. `async_insert` stays off: the batch processor
 * already makes the batches, and a synchronous insert is what tells it a batch is stored.
 * A token is needed for deduplication, not just the same rows: every raw table fills
 * `inserted_at` on the server, so a resent block never hashes the same.
 *
 * @example
 * const writer = clickHouseWriter(clickhouse(config.clickhouse), config.clickhouse.database);
 * await writer.insert("request_events", rows);
 */
export function clickHouseWriter(client: Pick<ClickHouseClient, "insert">, database: string): ClickHouseWriter {
  return {
    async insert(table, rows, options) {
      await client.insert({
        table: `${database}.${table}`,
        values: rows as object[],
        format: "JSONEachRow",
        ...(options?.dedupToken === undefined ? {} : { clickhouse_settings: { insert_deduplication_token: options.dedupToken } }),
      });
    },
  };
}
