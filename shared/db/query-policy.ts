/**
 * The optimizer's tunables, derived from the app config: TTL per query class, the
 * table -> class map, slow-query and stats bounds. Kept apart from the config so
 * tests and the benchmark can build one directly.
 *
 * @example
 * const policy = queryPolicyFromConfig(loadConfig(env));
 * classForTables(policy, ["public.users"]); // "user"
 */
import type { AppConfig } from "../config.ts";
import type { QueryClass } from "./query-types.ts";

export interface QueryPolicy {
  ttlSeconds: Readonly<Record<QueryClass, number>>;
  /** Schema-qualified, lower-case table name -> class. Unlisted tables are "default". */
  tableClasses: Readonly<Record<string, QueryClass>>;
  slowQueryThresholdMs: number;
  explainSlowQueries: boolean;
  slowQueryLogSize: number;
  statsMaxFingerprints: number;
  analysisCacheSize: number;
  /** How many fingerprints stats() returns (top by total time). */
  topFingerprints: number;
  /** Point reads remembered for refresh after write (./row-refresh.ts); 0 turns it off. */
  refreshAfterWriteReads: number;
}

const TOP_FINGERPRINTS = 20;

export function queryPolicyFromConfig(config: AppConfig): QueryPolicy {
  return {
    ttlSeconds: {
      user: config.cache.userDataTtlSeconds,
      config: config.cache.configDataTtlSeconds,
      default: config.cache.defaultTtlSeconds,
    },
    tableClasses: config.query.tableClasses,
    slowQueryThresholdMs: config.query.slowQueryThresholdMs,
    explainSlowQueries: config.query.explainSlowQueries,
    slowQueryLogSize: config.query.slowQueryLogSize,
    statsMaxFingerprints: config.query.statsMaxFingerprints,
    analysisCacheSize: config.query.analysisCacheSize,
    topFingerprints: TOP_FINGERPRINTS,
    // As many as L1 holds entries: a remembered read whose entry L1 dropped still refreshes L2.
    refreshAfterWriteReads: config.cache.refreshAfterWrite ? config.cache.maxEntries : 0,
  };
}

/**
 * The class of a read over these tables: the one with the shortest TTL wins, so a
 * join of user data with config data is kept only as long as the user data.
 */
export function classForTables(policy: QueryPolicy, tables: readonly string[]): QueryClass {
  let chosen: QueryClass | undefined;
  for (const table of tables) {
    const cls = policy.tableClasses[table] ?? "default";
    if (chosen === undefined || policy.ttlSeconds[cls] < policy.ttlSeconds[chosen]) chosen = cls;
  }
  return chosen ?? "default";
}
