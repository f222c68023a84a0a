/** The optimizer policy the unit tests build on: fixed TTLs, no table classes, no refresh after write. */
import type { QueryPolicy } from "../../shared/db/query-policy.ts";

export function testPolicy(over: Partial<QueryPolicy> = {}): QueryPolicy {
  return {
    ttlSeconds: { user: 60, config: 600, default: 300 },
    tableClasses: {},
    slowQueryThresholdMs: 1000,
    explainSlowQueries: false,
    slowQueryLogSize: 10,
    statsMaxFingerprints: 100,
    analysisCacheSize: 100,
    topFingerprints: 5,
    refreshAfterWriteReads: 0,
    ...over,
  };
}
