/** A throwaway ClickHouse database per test file, migrated, on the local endpoint. */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { randomBytes } from "node:crypto";
import { applyClickHouseMigrations, clickHouseExecutor } from "../../shared/analytics/migrate.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";

export interface TestDatabase {
  client: ClickHouseClient;
  database: string;
  url: string;
  rows<T>(query: string): Promise<T[]>;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const url = process.env.CLICKHOUSE_URL ?? localUrls().CLICKHOUSE_URL;
  const client = createClient({
    url,
    username: process.env.CLICKHOUSE_USER ?? "default",
    password: process.env.CLICKHOUSE_PASSWORD ?? "",
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    request_timeout: 60_000,
  });
  const database = `netra_test_${prefix}_${randomBytes(5).toString("hex")}`;
  await applyClickHouseMigrations(clickHouseExecutor(client), { database });
  return {
    client,
    database,
    url,
    rows: async <T>(query: string) => (await client.query({ query, format: "JSONEachRow" })).json<T>(),
    drop: async () => {
      await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await client.close();
    },
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
