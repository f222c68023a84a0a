/**
 * Health probes for the four dependencies of netra-edge, built from config.
 * A dependency without connection settings gets a probe that fails with
 * "not configured", so the report always lists all four.
 */
import { clickhouse, pingClickHouse } from "../analytics/clickhouse-client.ts";
import { upstashRedis } from "../cache/upstash-client.ts";
import { NotConfiguredError, partyKitOrigin, type AppConfig } from "../config.ts";
import { neonSql } from "../db/neon-client.ts";
import type { HealthProbe } from "./run-health-checks.ts";

export const DEPENDENCIES = ["postgres", "redis", "clickhouse", "partykit"] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** The path a PartyKit deployment answers health on: room "health" of the main party. */
export const PARTYKIT_HEALTH_PATH = "/parties/main/health";

export interface ProbeOptions {
  /** The fetch used for PartyKit; defaults to the global one. */
  fetch?: typeof fetch;
}

/**
 * One probe per dependency.
 *
 * @example
 * const report = await runHealthChecks(dependencyProbes(config), { timeoutMs: config.health.checkTimeoutMs });
 */
export function dependencyProbes(config: AppConfig, options: ProbeOptions = {}): Record<Dependency, HealthProbe> {
  const fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    postgres: async (signal) => {
      await neonSql(config.postgres).query("select 1", [], { fetchOptions: { signal } });
    },
    redis: async () => {
      const reply = await upstashRedis(config.redis).ping();
      if (reply !== "PONG") throw new Error(`unexpected PING reply: ${String(reply)}`);
    },
    clickhouse: (signal) => pingClickHouse(clickhouse(config.clickhouse), signal),
    partykit: async (signal) => {
      const host = config.partykit.host;
      if (host === undefined) throw new NotConfiguredError();
      const response = await fetcher(`${partyKitOrigin(host)}${PARTYKIT_HEALTH_PATH}`, { signal });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    },
  };
}
