/**
 * Runs the local ClickHouse HTTP endpoint (chdb inside) as a process.
 *
 *   npx tsx scripts/local/clickhouse/main.ts [--port 28123] [--host 127.0.0.1] [--data-dir /tmp/netra-edge/clickhouse] [--password ""]
 *
 * Defaults come from localConfig() (NETRA_CLICKHOUSE_PORT, NETRA_STATE_DIR).
 * SIGINT/SIGTERM let running requests finish and close the engine before exit.
 */
import { parseArgs } from "node:util";
import { localConfig } from "../../lib/local-config.ts";
import { startClickHouseEndpoint } from "./server.ts";
import { runEndpoint, type Closable } from "../../lib/endpoint-process.ts";

function port(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535) throw new Error(`--port must be 0-65535, got "${raw}"`);
  return value;
}

async function main(): Promise<{ endpoint: Closable; banner: string }> {
  const defaults = localConfig().clickhouse;
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: String(defaults.port) },
      host: { type: "string", default: "127.0.0.1" },
      "data-dir": { type: "string", default: defaults.dataDir },
      password: { type: "string", default: defaults.password },
    },
    strict: true,
  });
  const endpoint = await startClickHouseEndpoint({
    port: port(values.port),
    host: values.host,
    dataDir: values["data-dir"],
    user: defaults.user,
    password: values.password,
  });
  return { endpoint, banner: `listening on ${endpoint.url} (chdb, data in ${values["data-dir"]})` };
}

runEndpoint("clickhouse", main);
