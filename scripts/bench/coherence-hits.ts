/**
 * hit_ratio_row_tags vs hit_ratio_table_tags, in one run: Zipf reads of users by id with 5%
 * single-row writes, through the real optimizer and tiered cache over the local Redis (Upstash
 * endpoint) and Postgres (Neon endpoint). Two isolates per design take turns; both designs see
 * the same operation sequence. The table-tag design is today's before this work: the same code
 * with every tag folded to its table (a read is tagged by the table, a write bumps the table)
 * and no refresh after write. The row-tag design runs with the defaults (refresh after write on).
 */
import { createTieredCache, cacheOptionsFromConfig, upstashCacheStore, type TieredCache } from "../../shared/cache/index.ts";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import type { AppConfig } from "../../shared/config.ts";
import { createNeonExecutor } from "../../shared/db/executor.ts";
import { queryPolicyFromConfig } from "../../shared/db/query-policy.ts";
import { createQueryOptimizer } from "../../shared/db/query-optimizer.ts";
import type { QueryOptimizer } from "../../shared/db/query-types.ts";
import { zipfKeys } from "./cache-core.ts";

const BY_ID = "SELECT id::text AS id, email, display_name, plan_tier, role, created_at, updated_at FROM users WHERE id = $1";
const WRITE = "UPDATE users SET display_name = $1 WHERE id = $2";

/** "public.users:id=7" and "public.users:list" -> "public.users". */
function tableTagsOnly(cache: TieredCache): TieredCache {
  const fold = (tags: readonly string[]) => [...new Set(tags.map((tag) => tag.split(":")[0]!))];
  return {
    read: (key, tags, load, policy, ctx) => cache.read(key, () => fold(typeof tags === "function" ? tags() : tags), load, policy, ctx),
    invalidate: (tags) => cache.invalidate(fold(tags)),
    stats: () => cache.stats(),
  };
}

function isolate(config: AppConfig, prefix: string, tableTags: boolean): QueryOptimizer {
  const raw = createTieredCache({
    store: upstashCacheStore(upstashRedis(config.redis, { raw: true })),
    options: cacheOptionsFromConfig(config.cache, prefix),
  });
  return createQueryOptimizer({
    executor: createNeonExecutor(config.postgres, { statementTimeoutMs: config.query.statementTimeoutMs }),
    cache: tableTags ? tableTagsOnly(raw) : raw,
    policy: tableTags ? { ...queryPolicyFromConfig(config), refreshAfterWriteReads: 0 } : queryPolicyFromConfig(config),
  });
}

export interface HitRatios {
  row: number;
  table: number;
  ops: number;
  warmup: number;
  writes: number;
}

export async function hitRatios(config: AppConfig, ids: string[], ops = 20_000, writeShare = 0.05): Promise<HitRatios> {
  const run = Date.now().toString(36);
  const designs = {
    row: [isolate(config, `bench:coh:${run}:row:`, false), isolate(config, `bench:coh:${run}:row:`, false)],
    table: [isolate(config, `bench:coh:${run}:table:`, true), isolate(config, `bench:coh:${run}:table:`, true)],
  };
  const next = zipfKeys(ids.length, 1.1, 7);
  let seed = 11;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const warmup = Math.floor(ops / 5);
  const hits = { row: 0, table: 0 };
  let reads = 0;
  let writes = 0;
  for (let i = 0; i < ops; i++) {
    const id = ids[next()]!;
    const write = random() < writeShare;
    const side = i % 2;
    if (write) writes++;
    else if (i >= warmup) reads++;
    for (const name of ["row", "table"] as const) {
      const optimizer = designs[name][side]!;
      if (write) {
        await optimizer.write(WRITE, [`w${i}`, id]);
        continue;
      }
      const { tier } = await optimizer.read(BY_ID, [id]);
      if (i >= warmup && (tier === "l1" || tier === "l2" || tier === "stale")) hits[name]++;
    }
  }
  return { row: hits.row / reads, table: hits.table / reads, ops, warmup, writes };
}
