/**
 * Runs the local Neon endpoint as a process.
 *
 *   npx tsx scripts/local/neon/main.ts [--port 54444] [--host 127.0.0.1] [--delay-ms 0] [--delay-ws-messages]
 *
 * Defaults come from localConfig() (NETRA_NEON_PORT, NETRA_NEON_DELAY_MS).
 */
import { parseArgs } from "node:util";
import { localConfig } from "../../lib/local-config.ts";
import { startNeonEndpoint } from "./server.ts";

function nonNegativeInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<void> {
  const defaults = localConfig().neon;
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: String(defaults.port) },
      host: { type: "string", default: "127.0.0.1" },
      "delay-ms": { type: "string", default: String(defaults.delayMs) },
      "delay-ws-messages": { type: "boolean", default: false },
    },
    strict: true,
  });
  const port = nonNegativeInteger("--port", values.port);
  const delayMs = nonNegativeInteger("--delay-ms", values["delay-ms"]);
  const endpoint = await startNeonEndpoint({
    port,
    host: values.host,
    delayMs,
    delayWebSocketMessages: values["delay-ws-messages"],
  });
  const perMessage = values["delay-ws-messages"] ? ", also per WebSocket message" : "";
  const routes = `WebSocket /v2, POST /sql, delay ${delayMs} ms${perMessage}`;
  console.log(`neon endpoint listening on ${values.host}:${endpoint.port} (${routes})`);

  const stop = (signal: NodeJS.Signals) => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    // A second signal while closing falls back to Node's default: exit at once.
    endpoint.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`neon endpoint: error while stopping on ${signal}:`, err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error("neon endpoint:", err instanceof Error ? err.message : err);
  process.exit(1);
});
