/**
 * The whole local stack in start order, and the .dev.vars file wrangler reads.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { localConfig, localUrls, type LocalConfig } from "../lib/local-config.ts";
import { ensureDebianPackages, which } from "./debian.ts";
import { postgresService } from "./postgres.ts";
import type { Service } from "./service.ts";
import { spawnedService } from "./spawned.ts";

export const repoRoot = resolve(import.meta.dirname, "../..");

/** A TypeScript entry point run by this Node (22) with tsx's loader, as one process we can signal. */
function nodeScript(script: string, args: string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--import", "tsx", join(repoRoot, script), ...args] };
}

export function stack(cfg: LocalConfig = localConfig()): Service[] {
  const urls = localUrls(cfg);
  return [
    postgresService(cfg),
    spawnedService({
      name: "redis",
      port: cfg.redis.port,
      url: urls.REDIS_URL,
      stateDir: cfg.stateDir,
      install: () => ensureDebianPackages("redis-server", ["redis-server"], () => which("redis-server") !== undefined),
      command: "redis-server",
      args: ["--bind", "127.0.0.1", "--port", String(cfg.redis.port), "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", "/tmp"],
    }),
    spawnedService({
      name: "upstash",
      port: cfg.upstash.port,
      url: urls.UPSTASH_REDIS_REST_URL,
      stateDir: cfg.stateDir,
      ...nodeScript("scripts/local/upstash/main.ts", ["--port", String(cfg.upstash.port), "--redis-url", urls.REDIS_URL, "--token", cfg.upstash.token]),
    }),
    spawnedService({
      name: "neon",
      port: cfg.neon.port,
      url: `http://${urls.NEON_LOCAL_ENDPOINT}/sql`,
      stateDir: cfg.stateDir,
      ...nodeScript("scripts/local/neon/main.ts", ["--port", String(cfg.neon.port), "--delay-ms", String(cfg.neon.delayMs)]),
    }),
    spawnedService({
      name: "clickhouse",
      port: cfg.clickhouse.port,
      url: urls.CLICKHOUSE_URL,
      stateDir: cfg.stateDir,
      readyTimeoutMs: 60_000,
      install: () => {
        if (!existsSync(join(repoRoot, "node_modules/chdb"))) throw new Error("chdb is not installed: run `npm install` first");
      },
      ...nodeScript("scripts/local/clickhouse/main.ts", ["--port", String(cfg.clickhouse.port), "--data-dir", cfg.clickhouse.dataDir]),
    }),
  ];
}

/** Local development secrets: fixed, harmless values that only open the local stack. */
export const LOCAL_ADMIN_KEY = "netra-local-admin-key";
/** Signs room tokens (the API) and checks them (the rooms, in the same Worker). */
export const LOCAL_ROOM_TOKEN_SECRET = "netra-local-room-token-secret";

/** The Worker's env for a stack: its URLs, production's variable names, and the stack's secrets. */
export function workerVars(cfg: LocalConfig, secrets: { adminKey: string; roomTokenSecret: string }): Record<string, string> {
  const urls = localUrls(cfg);
  return {
    DATABASE_URL: urls.DATABASE_URL,
    NEON_LOCAL_ENDPOINT: urls.NEON_LOCAL_ENDPOINT,
    UPSTASH_REDIS_REST_URL: urls.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: urls.UPSTASH_REDIS_REST_TOKEN,
    CLICKHOUSE_URL: urls.CLICKHOUSE_URL,
    CLICKHOUSE_USER: urls.CLICKHOUSE_USER,
    CLICKHOUSE_PASSWORD: urls.CLICKHOUSE_PASSWORD,
    CLICKHOUSE_DATABASE: urls.CLICKHOUSE_DATABASE,
    API_ADMIN_KEY: secrets.adminKey,
    ROOM_TOKEN_SECRET: secrets.roomTokenSecret,
  };
}

/** Write the env wrangler dev reads (git-ignored), with production's variable names. */
export function writeDevVars(cfg: LocalConfig = localConfig()): string {
  const vars = workerVars(cfg, { adminKey: LOCAL_ADMIN_KEY, roomTokenSecret: LOCAL_ROOM_TOKEN_SECRET });
  const file = join(repoRoot, ".dev.vars");
  const body = Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n");
  writeFileSync(file, `# Written by \`npm run services -- up\` for the local stack. Not a secret store.\n${body}\n`);
  return file;
}
