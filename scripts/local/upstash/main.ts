/**
 * Runs the local Upstash REST endpoint as a process.
 *
 *   npx tsx scripts/local/upstash/main.ts [--port 28079] [--host 127.0.0.1]
 *     [--redis-url redis://127.0.0.1:26379] [--token netra-local-upstash-token]
 *
 * Defaults come from localConfig()/localUrls(). Prints one line once listening;
 * SIGINT or SIGTERM closes the endpoint and its Redis connection, then exits 0.
 */
import { parseArgs } from "node:util";
import { localConfig, localUrls } from "../../lib/local-config.ts";
import { startUpstashEndpoint } from "./server.ts";
import { runEndpoint, type Closable } from "../../lib/endpoint-process.ts";

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got "${raw}"`);
  return port;
}

async function main(): Promise<{ endpoint: Closable; banner: string }> {
  const cfg = localConfig();
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: String(cfg.upstash.port) },
      host: { type: "string", default: "127.0.0.1" },
      "redis-url": { type: "string", default: localUrls(cfg).REDIS_URL },
      token: { type: "string", default: cfg.upstash.token },
    },
    strict: true,
  });
  const log = (line: string) => console.error(`[upstash] ${line}`);
  const endpoint = await startUpstashEndpoint({
    port: parsePort(values.port),
    host: values.host,
    redisUrl: values["redis-url"],
    token: values.token,
    log,
  });
  return { endpoint, banner: `listening on ${endpoint.url} (redis ${values["redis-url"]})` };
}

runEndpoint("upstash", main);
