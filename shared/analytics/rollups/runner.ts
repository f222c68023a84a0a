/**
 * What the rollups job needs from ClickHouse: statements and row queries. Every value
 * the job puts into SQL is a number it computed or an identifier from code, so no
 * user input reaches these strings.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";

export interface ClickHouseRunner {
  command(sql: string): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
  insert(table: string, rows: readonly object[]): Promise<void>;
}

/**
 * A runner over @clickhouse/client-web. TTL changes are not materialised at once
 * (materialize_ttl_after_modify = 0): old parts expire on their next merge, and the job
 * drops expired partitions itself, so no table is rewritten by a cron run.
 */
export function clickHouseRunner(client: Pick<ClickHouseClient, "command" | "query" | "insert">): ClickHouseRunner {
  const settings = { materialize_ttl_after_modify: 0 } as const;
  return {
    async command(sql) {
      await client.command({ query: sql, clickhouse_settings: settings });
    },
    async query<T>(sql: string) {
      const result = await client.query({ query: sql, format: "JSONEachRow" });
      return result.json<T>();
    },
    async insert(table, rows) {
      await client.insert({ table, values: rows as object[], format: "JSONEachRow" });
    },
  };
}

/** A DateTime64(3) literal for epoch ms. */
export const ms64 = (ms: number): string => `fromUnixTimestamp64Milli(toInt64(${Math.trunc(ms)}))`;
