/**
 * The read path itself, in Node: the Worker's own wiring (functions/services.ts
 * buildServices: Upstash client -> tiered cache -> optimizer) against the real
 * local Redis (Upstash endpoint) and Neon endpoint, timed with Node's
 * sub-microsecond clock. Each sample is one optimizer.read of the API's
 * user-by-id statement: key, tag check, lookup, decode (and on a miss, the load).
 */
import { buildServices } from "../../functions/services.ts";
import type { AppConfig } from "../../shared/config.ts";
import type { QueryTier } from "../../shared/db/query-types.ts";
import { zipfKeys } from "./cache-core.ts";
import { summary } from "./cache-fixture.ts";

const BY_ID = "SELECT id::text AS id, email, display_name, plan_tier, role, created_at, updated_at FROM users WHERE id = $1";

export interface InProcessResult {
  tiers: Record<"l1" | "l2" | "miss", { n: number; p50: number; p99: number }>;
  hitRatio: number;
  zipf: { ops: number; warmup: number; keys: number; s: number; tierCounts: Record<string, number> };
}

async function timedRead(services: ReturnType<typeof buildServices>, id: string): Promise<{ ms: number; tier: QueryTier }> {
  const t0 = performance.now();
  const result = await services.optimizer.read(BY_ID, [id]);
  return { ms: performance.now() - t0, tier: result.tier };
}

/**
 * zipfIds: the Zipf population (rank 0 hottest). coldIds: never read before, timed
 * as misses in one "isolate", then as L2 hits in a second one, so each tier has
 * clean samples. Hit ratio: the Zipf run after its warm-up.
 */
export async function inProcessReadPath(config: AppConfig, zipfIds: string[], coldIds: string[], ops = 20_000, warmup = 5_000): Promise<InProcessResult> {
  const a = buildServices(config);
  const b = buildServices(config);
  const s = 1.1;
  const next = zipfKeys(zipfIds.length, s, 42);
  const samples: Record<string, number[]> = { l1: [], l2: [], miss: [], stale: [], bypass: [] };
  const tierCounts: Record<string, number> = {};
  let hits = 0;
  for (let i = 0; i < ops; i++) {
    const { ms, tier } = await timedRead(a, zipfIds[next()]!);
    samples[tier]!.push(ms);
    tierCounts[tier] = (tierCounts[tier] ?? 0) + 1;
    if (i >= warmup && (tier === "l1" || tier === "l2" || tier === "stale")) hits++;
  }
  const miss: number[] = [];
  const l2: number[] = [];
  for (const id of coldIds) {
    const r = await timedRead(a, id);
    if (r.tier === "miss") miss.push(r.ms);
  }
  for (const id of coldIds) {
    const r = await timedRead(b, id);
    if (r.tier === "l2") l2.push(r.ms);
  }
  return {
    tiers: { l1: summary(samples.l1!), l2: summary(l2), miss: summary(miss) },
    hitRatio: hits / (ops - warmup),
    zipf: { ops, warmup, keys: zipfIds.length, s, tierCounts },
  };
}
