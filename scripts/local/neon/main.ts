/**
 * Runs the local Neon endpoint as a process.
 *
 *   npx tsx scripts/local/neon/main.ts [--port 24444] [--host 127.0.0.1] [--delay-ms 0] [--delay-ws-messages]
 *
 * Defaults come from localConfig() (NETRA_NEON_PORT, NETRA_NEON_DELAY_MS).
 */
import { parseArgs } from "node:util";
import { localConfig } from "../../lib/local-config.ts";
import { startNeonEndpoint } from "./server.ts";
import { runEndpoint, type Closable } from "../../lib/endpoint-process.ts";

function nonNegativeInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<{ endpoint: Closable; banner: string }> {
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
  return { endpoint, banner: `listening on ${values.host}:${endpoint.port} (${routes})` };
}

runEndpoint("neon", main);
