import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyClickHouseMigrations, clickHouseExecutor } from "../../shared/analytics/migrate.ts";
import { clickHouseMigrations } from "../../shared/analytics/migrations/index.ts";
import type { Migration } from "../../shared/db/migration-types.ts";
import { startClickHouseEndpoint, type ClickHouseEndpoint } from "../../scripts/local/clickhouse/server.ts";
import { migrateClickHouse } from "../../scripts/migrate.ts";

const database = `netra_test_${randomBytes(6).toString("hex")}`;
const dataDir = mkdtempSync(join(tmpdir(), "netra-ch-migrate-"));
let endpoint: ClickHouseEndpoint;
let client: ClickHouseClient;

async function rows<T>(query: string): Promise<T[]> {
  return (await client.query({ query, format: "JSONEachRow" })).json<T>();
}

beforeAll(async () => {
  endpoint = await startClickHouseEndpoint({ port: 0, dataDir });
  client = createClient({ url: endpoint.url, username: "default", password: "" });
});

afterAll(async () => {
  await client?.close();
  await endpoint?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("clickhouse migrations against a real engine", () => {
  it("creates the database, the bookkeeping table and every migration's tables on a fresh server", async () => {
    const result = await migrateClickHouse({ url: endpoint.url, username: "default", password: "", database }, { log: () => undefined });
    expect(result.applied.map((m) => m.id)).toEqual(clickHouseMigrations.map((m) => m.id));

    const tables = (await rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${database}'`)).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(["request_events", "schema_migrations"]));
    const recorded = await rows<{ id: string; checksum: string }>(`SELECT id, checksum FROM ${database}.schema_migrations ORDER BY id`);
    expect(recorded).toEqual(result.applied.map((m) => ({ id: m.id, checksum: m.checksum })));
  });

  it("is a no-op the second time", async () => {
    const again = await migrateClickHouse({ url: endpoint.url, database }, { log: () => undefined });
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(clickHouseMigrations.map((m) => m.id));
    const [count] = await rows<{ n: string }>(`SELECT count() AS n FROM ${database}.schema_migrations`);
    expect(Number(count!.n)).toBe(clickHouseMigrations.length);
  });

  it("gives request_events the declared types, partitioning, order and TTL", async () => {
    const columns = await rows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = '${database}' AND table = 'request_events' ORDER BY position`,
    );
    expect(columns).toEqual([
      { name: "ts", type: "DateTime64(3)" },
      { name: "request_id", type: "String" },
      { name: "route", type: "LowCardinality(String)" },
      { name: "method", type: "LowCardinality(String)" },
      { name: "status", type: "UInt16" },
      { name: "duration_ms", type: "Float64" },
      { name: "cache_tier", type: "LowCardinality(String)" },
      { name: "db_ms", type: "Float64" },
      { name: "response_bytes", type: "UInt32" },
      { name: "isolate_id", type: "String" },
      { name: "colo", type: "LowCardinality(String)" },
      { name: "country", type: "LowCardinality(String)" },
      // Added by 0002: the rollups job's backfill boundary.
      { name: "inserted_at", type: "DateTime64(3)" },
    ]);
    const [table] = await rows<{ engine: string; partition_key: string; sorting_key: string; create_table_query: string }>(
      `SELECT engine, partition_key, sorting_key, create_table_query FROM system.tables
       WHERE database = '${database}' AND name = 'request_events'`,
    );
    expect(table).toMatchObject({ engine: "MergeTree", partition_key: "toYYYYMMDD(ts)", sorting_key: "route, method, ts" });
    expect(table!.create_table_query).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(7\)/);
  });

  it("accepts and returns a request event", async () => {
    const ts = new Date().toISOString().replace("T", " ").replace("Z", "");
    await client.insert({
      table: `${database}.request_events`,
      format: "JSONEachRow",
      values: [
        {
          ts, request_id: "req-1", route: "/users/:id", method: "GET", status: 200, duration_ms: 3.5,
          cache_tier: "l1", db_ms: 0, response_bytes: 512, isolate_id: "iso-1", colo: "AMS", country: "NL",
        },
      ],
    });
    const stored = await rows<{ route: string; status: number }>(`SELECT route, status FROM ${database}.request_events`);
    expect(stored).toEqual([{ route: "/users/:id", status: 200 }]);
  });

  it("lets two concurrent runners both succeed and leaves one record per migration", async () => {
    const fresh = `${database}_concurrent`;
    const executor = clickHouseExecutor(client);
    const results = await Promise.all([
      applyClickHouseMigrations(executor, { database: fresh }),
      applyClickHouseMigrations(executor, { database: fresh }),
    ]);
    for (const result of results) expect(result.applied.length + result.skipped.length).toBe(clickHouseMigrations.length);
    const grouped = await rows<{ id: string }>(`SELECT id FROM ${fresh}.schema_migrations GROUP BY id ORDER BY id`);
    expect(grouped).toEqual(clickHouseMigrations.map((m) => ({ id: m.id })));
    const third = await applyClickHouseMigrations(executor, { database: fresh });
    expect(third.applied).toEqual([]);
  });

  it("refuses an edited applied migration with MIGRATION_CHECKSUM_MISMATCH", async () => {
    const scratch = `${database}_checksum`;
    const executor = clickHouseExecutor(client);
    const original: Migration = {
      id: "0001_t",
      statements: ["CREATE TABLE IF NOT EXISTS {database}.t (x UInt8) ENGINE = MergeTree ORDER BY x"],
    };
    await applyClickHouseMigrations(executor, { database: scratch, migrations: [original] });
    const edited: Migration = { ...original, statements: [original.statements[0]!.replace("UInt8", "UInt16")] };
    await expect(applyClickHouseMigrations(executor, { database: scratch, migrations: [edited] })).rejects.toMatchObject({
      code: "MIGRATION_CHECKSUM_MISMATCH",
    });
  });

  it("surfaces an engine error as MIGRATION_FAILED and leaves the migration unrecorded", async () => {
    const scratch = `${database}_failure`;
    const executor = clickHouseExecutor(client);
    const broken: Migration = { id: "0001_broken", statements: ["CREATE TABLE IF NOT EXISTS {database}.b (x NoSuchType) ENGINE = Memory"] };
    await expect(applyClickHouseMigrations(executor, { database: scratch, migrations: [broken] })).rejects.toMatchObject({
      code: "MIGRATION_FAILED",
      migrationId: "0001_broken",
    });
    expect(await rows(`SELECT id FROM ${scratch}.schema_migrations`)).toEqual([]);
  });

  it("reports an unreachable server in one line", async () => {
    await expect(migrateClickHouse({ url: "http://127.0.0.1:1", database }, { log: () => undefined })).rejects.toThrow(
      /^clickhouse unreachable at 127\.0\.0\.1:1: /,
    );
  });
});
