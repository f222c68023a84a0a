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
 * A writer over @clickhouse/client-web. Each insert is acknowledged only once stored,
 * which is what tells the batch processor a batch is done. With `asyncInsert` ClickHouse
 * batches the inserts of every isolate on the server (async_insert) and answers after the
 * flush that stored them (wait_for_async_insert=1); the deduplication token still applies
 * (async_insert_deduplicate=1). A token is needed for deduplication, not just the same
 * rows: every raw table fills `inserted_at` on the server, so a resent block never hashes
 * the same.
 *
 * @example
 * const writer = clickHouseWriter(clickhouse(config.clickhouse), config.clickhouse.database, { asyncInsert: config.analytics.asyncInsert });
 * await writer.insert("request_events", rows);
 */
export function clickHouseWriter(client: Pick<ClickHouseClient, "insert">, database: string, mode: { asyncInsert?: boolean } = {}): ClickHouseWriter {
  const serverBatching = mode.asyncInsert === true ? ASYNC_INSERT : {};
  return {
    async insert(table, rows, options) {
      await client.insert({
        table: `${database}.${table}`,
        values: rows as object[],
        format: "JSONEachRow",
        clickhouse_settings: {
          ...serverBatching,
          ...(options?.dedupToken === undefined ? {} : { insert_deduplication_token: options.dedupToken }),
        },
      });
    },
  };
}

/**
 * Async insert settings (per query; inserts with the same settings share one buffer per
 * table on the server). A fixed 1 s flush instead of the adaptive 50-200 ms one, and
 * count/size triggers set out of the way, so the server writes about one part per second
 * per table however many isolates insert (README, "Metrics at scale").
 */
export const ASYNC_INSERT = {
  async_insert: 1,
  wait_for_async_insert: 1,
  async_insert_deduplicate: 1,
  async_insert_use_adaptive_busy_timeout: 0,
  async_insert_busy_timeout_ms: 1000,
  async_insert_max_query_number: 1_000_000,
  async_insert_max_data_size: "104857600",
} as const;
