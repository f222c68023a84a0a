/**
 * What the rollups job needs from ClickHouse: statements and row queries. Every value
 * the job puts into SQL is a number it computed or an identifier from code, so no
 * user input reaches these strings.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";

export interface WriteOptions {
  /** A rerun of the same write (after a crash before its watermark) is then skipped by ClickHouse. */
  dedupToken?: string;
}

export interface ClickHouseRunner {
  command(sql: string, options?: WriteOptions): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
  insert(table: string, rows: readonly object[], options?: WriteOptions): Promise<void>;
}

/**
 * A runner over @clickhouse/client-web. TTL changes are not materialised at once
 * (materialize_ttl_after_modify = 0): old parts expire on their next merge, and the job
 * drops expired partitions itself, so no table is rewritten by a cron run.
 */
export function clickHouseRunner(client: Pick<ClickHouseClient, "command" | "query" | "insert">): ClickHouseRunner {
  const settings = { materialize_ttl_after_modify: 0 } as const;
  const token = (options: WriteOptions | undefined) => (options?.dedupToken === undefined ? {} : { insert_deduplication_token: options.dedupToken });
  return {
    async command(sql, options) {
      await client.command({ query: sql, clickhouse_settings: { ...settings, ...token(options) } });
    },
    async query<T>(sql: string) {
      const result = await client.query({ query: sql, format: "JSONEachRow" });
      return result.json<T>();
    },
    async insert(table, rows, options) {
      await client.insert({ table, values: rows as object[], format: "JSONEachRow", clickhouse_settings: token(options) });
    },
  };
}

/** A DateTime64(3) literal for epoch ms. */
export const ms64 = (ms: number): string => `fromUnixTimestamp64Milli(toInt64(${Math.trunc(ms)}))`;
