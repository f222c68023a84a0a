/**
 * The ClickHouse HTTP client (@clickhouse/client-web, fetch-based) built from
 * config, once per config object.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { NotConfiguredError, type AppConfig } from "../config.ts";

export type ClickHouseSettings = AppConfig["clickhouse"];

const clients = new WeakMap<ClickHouseSettings, ClickHouseClient>();

/**
 * The client for these settings. Throws NotConfiguredError when no URL is set.
 * 64-bit integers come back quoted so JS never rounds them past 2^53.
 *
 * @example
 * const rows = await (await clickhouse(config.clickhouse).query({ query: "SELECT 1 AS n", format: "JSONEachRow" })).json();
 */
export function clickhouse(settings: ClickHouseSettings): ClickHouseClient {
  const existing = clients.get(settings);
  if (existing !== undefined) return existing;
  if (settings.url === undefined) throw new NotConfiguredError();
  const client = createClient({
    url: settings.url,
    username: settings.user,
    password: settings.password,
    database: settings.database,
    request_timeout: settings.requestTimeoutMs,
    application: "netra-edge",
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  clients.set(settings, client);
  return client;
}

/**
 * Resolves when ClickHouse answers `SELECT 1` with these credentials. Unlike the
 * web client's ping, this throws on failure and honours an abort signal.
 */
export async function pingClickHouse(client: ClickHouseClient, signal?: AbortSignal): Promise<void> {
  const result = await client.query({ query: "SELECT 1 AS ok", format: "JSONEachRow", abort_signal: signal });
  await result.json();
}
