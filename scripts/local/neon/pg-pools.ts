/**
 * One small `pg` pool per connection string, standing in for the connection cache
 * Neon's proxy keeps behind `/sql`.
 */
import pg from "pg";
import { RAW_TEXT_TYPES } from "./sql-reply.ts";

const POOL_MAX_CLIENTS = 5;
const POOL_IDLE_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

export class PgPools {
  private readonly pools = new Map<string, pg.Pool>();

  get(connectionString: string): pg.Pool {
    let pool = this.pools.get(connectionString);
    if (pool === undefined) {
      pool = new pg.Pool({
        connectionString,
        max: POOL_MAX_CLIENTS,
        idleTimeoutMillis: POOL_IDLE_TIMEOUT_MS,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        types: RAW_TEXT_TYPES,
      });
      // An idle client whose backend dies (terminated, server restart) emits here;
      // unheard, it would crash the endpoint. The pool already drops that client.
      pool.on("error", () => {});
      this.pools.set(connectionString, pool);
    }
    return pool;
  }

  /** Lets a pool that never connected (wrong password, no server) go, so bad strings do not pile up. */
  forgetIfUnused(connectionString: string): void {
    const pool = this.pools.get(connectionString);
    if (pool === undefined || pool.totalCount > 0 || pool.waitingCount > 0) return;
    this.pools.delete(connectionString);
    void pool.end().catch(() => {});
  }

  async closeAll(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  }
}
