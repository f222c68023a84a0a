/**
 * Health probes for the four dependencies of netra-edge, built from config (and, for
 * the rooms, the Worker's way to reach them). A dependency without connection
 * settings gets a probe that fails with "not configured", so the report always lists
 * all four.
 */
import { clickhouse, pingClickHouse } from "../analytics/clickhouse-client.ts";
import { upstashRedis } from "../cache/upstash-client.ts";
import { NotConfiguredError, type AppConfig } from "../config.ts";
import { neonSql } from "../db/neon-client.ts";
import type { RoomTarget } from "../rooms/publish.ts";
import type { HealthProbe } from "./run-health-checks.ts";

export const DEPENDENCIES = ["postgres", "redis", "clickhouse", "rooms"] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

export interface ProbeOptions {
  /** The rooms' health room (it answers GET with 200); undefined: rooms not configured. */
  rooms?: RoomTarget;
}

/**
 * One probe per dependency.
 *
 * @example
 * const report = await runHealthChecks(dependencyProbes(config), { timeoutMs: config.health.checkTimeoutMs });
 */
export function dependencyProbes(config: AppConfig, options: ProbeOptions = {}): Record<Dependency, HealthProbe> {
  return {
    postgres: async (signal) => {
      await neonSql(config.postgres).query("select 1", [], { fetchOptions: { signal } });
    },
    redis: async () => {
      const reply = await upstashRedis(config.redis).ping();
      if (reply !== "PONG") throw new Error(`unexpected PING reply: ${String(reply)}`);
    },
    clickhouse: (signal) => pingClickHouse(clickhouse(config.clickhouse), signal),
    rooms: async (signal) => {
      if (options.rooms === undefined) throw new NotConfiguredError();
      const response = await options.rooms.fetch("", { signal });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    },
  };
}
