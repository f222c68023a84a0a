/**
 * Runs the local ClickHouse HTTP endpoint (chdb inside) as a process.
 *
 *   npx tsx scripts/local/clickhouse/main.ts [--port 58123] [--host 127.0.0.1] [--data-dir /tmp/netra-edge/clickhouse] [--password ""]
 *
 * Defaults come from localConfig() (NETRA_CLICKHOUSE_PORT, NETRA_STATE_DIR).
 * SIGINT/SIGTERM let running requests finish and close the engine before exit.
 */
import { parseArgs } from "node:util";
import { localConfig } from "../../lib/local-config.ts";
import { startClickHouseEndpoint } from "./server.ts";

function port(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535) throw new Error(`--port must be 0-65535, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
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
  console.log(`clickhouse endpoint listening on ${endpoint.url} (chdb, data in ${values["data-dir"]})`);

  const stop = (signal: NodeJS.Signals) => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    // A second signal while closing falls back to Node's default: exit at once.
    endpoint.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`clickhouse endpoint: error while stopping on ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error("clickhouse endpoint:", err instanceof Error ? err.message : err);
  process.exit(1);
});
