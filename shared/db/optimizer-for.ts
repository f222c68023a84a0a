/**
 * The isolate's query optimizer for a config: one per config object (like the
 * cache's tieredCacheFor), so the parse cache and the stats cover every request
 * the isolate serves.
 *
 * @example
 * const optimizer = queryOptimizerFor(config, { cache: tieredCacheFor(config) });
 */
import type { TieredCache } from "../cache/types.ts";
import type { AppConfig } from "../config.ts";
import { createNeonExecutor } from "./executor.ts";
import { createQueryOptimizer } from "./query-optimizer.ts";
import { queryPolicyFromConfig } from "./query-policy.ts";
import type { QueryObserver, QueryOptimizer } from "./query-types.ts";

const optimizers = new WeakMap<AppConfig, QueryOptimizer>();

/** The first call for a config decides its cache and observer; later calls get the same optimizer. */
export function queryOptimizerFor(config: AppConfig, deps: { cache: TieredCache; observer?: QueryObserver }): QueryOptimizer {
  const existing = optimizers.get(config);
  if (existing !== undefined) return existing;
  const optimizer = createQueryOptimizer({
    executor: createNeonExecutor(config.postgres, { statementTimeoutMs: config.query.statementTimeoutMs }),
    cache: deps.cache,
    policy: queryPolicyFromConfig(config),
    ...(deps.observer === undefined ? {} : { observer: deps.observer }),
  });
  optimizers.set(config, optimizer);
  return optimizer;
}
