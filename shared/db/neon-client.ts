/**
 * Neon clients built from config: the HTTP query function (one per config,
 * created on first use and reused by every request of the isolate) and a Pool
 * factory. When NEON_LOCAL_ENDPOINT is set the driver is pointed at the local
 * endpoint instead of Neon's proxy (dev and tests only).
 */
import { neon, neonConfig, Pool, type NeonQueryFunction } from "@neondatabase/serverless";
import type { AppConfig } from "../config.ts";
import { configureNeonForLocalEndpoint } from "./neon-local.ts";

export type PostgresSettings = AppConfig["postgres"];
export type NeonSql = NeonQueryFunction<false, false>;

const sqlByConfig = new WeakMap<PostgresSettings, NeonSql>();

/** neonConfig is process-global, so the local endpoint is applied before any client exists. */
function applyEndpoint(settings: PostgresSettings): void {
  if (settings.neonLocalEndpoint !== undefined) {
    configureNeonForLocalEndpoint(neonConfig, settings.neonLocalEndpoint);
  }
}

/**
 * The HTTP query function for these settings, created lazily once.
 *
 * @example
 * const rows = await neonSql(config.postgres).query("select $1::int as n", [1]);
 */
export function neonSql(settings: PostgresSettings): NeonSql {
  let sql = sqlByConfig.get(settings);
  if (sql === undefined) {
    applyEndpoint(settings);
    sql = neon(settings.databaseUrl);
    sqlByConfig.set(settings, sql);
  }
  return sql;
}

/**
 * A new WebSocket Pool (transactions, sessions). A Worker cannot share sockets
 * across requests, so create one per request and `end()` it in waitUntil.
 *
 * @example
 * const pool = createNeonPool(config.postgres);
 * try { await pool.query("begin"); ... } finally { ctx.waitUntil(pool.end()); }
 */
export function createNeonPool(settings: PostgresSettings): Pool {
  applyEndpoint(settings);
  const pool = new Pool({
    connectionString: settings.databaseUrl,
    max: settings.poolMax,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
  });
  // An idle client whose socket drops (the pool ending after the request, a restarted
  // backend) emits 'error' on the pool; unhandled, that event would crash the caller.
  // The query that needed the connection has already seen its own error.
  pool.on("error", () => undefined);
  return pool;
}
