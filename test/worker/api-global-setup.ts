/**
 * Node-side setup for the API worker tests: a throwaway Postgres database
 * (migrated; dropped afterwards) so row counts, pagination walks and
 * pg_stat_statements are exact, and a TCP proxy to the Upstash endpoint that
 * delays every chunk (a slow Redis we control).
 */
import { createServer, connect, type Socket } from "node:net";
import type { TestProject } from "vitest/node";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { createMigratedDatabase } from "../../scripts/lib/throwaway-database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    apiDatabaseUrl: string;
    slowUpstashUrl: string;
  }
}

const SLOW_DELAY_MS = 1500;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = await createMigratedDatabase("netra_test_api");
  project.provide("apiDatabaseUrl", database.url);

  const upstash = new URL(process.env.UPSTASH_REDIS_REST_URL ?? localUrls().UPSTASH_REDIS_REST_URL);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(upstash.port), upstash.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    client.on("data", (chunk) => setTimeout(() => upstream.write(chunk), SLOW_DELAY_MS));
    upstream.on("data", (chunk) => client.write(chunk));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP address");
  project.provide("slowUpstashUrl", `http://127.0.0.1:${address.port}`);

  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await database.drop();
  };
}
