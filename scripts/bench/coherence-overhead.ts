/**
 * l1_hit_overhead_ratio: the L1-hit read path (optimizer.read of a user by id, no token)
 * with this tree's coherence bookkeeping (row tags, token check, verification bound) over
 * the same path at a baseline commit, both in this Node process. The baseline's `shared/`
 * is extracted with `git archive` under node_modules/.cache (so it resolves the same
 * packages) and imported beside ours. Neither touches I/O during the timing: the store and
 * the executor answer while L1 fills (so the tag versions are known, as with Redis up), and
 * the tag check interval is longer than the run; a store call during timing fails the run.
 * A second figure times the hit path with Redis unreachable (breaker open, tags unverified,
 * entries younger than the bound), where the tiers also differ.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../lib/dev-servers.ts";
import { percentile } from "./cache-fixture.ts";

/** The last commit before the coherence work (issue 15). */
export const DEFAULT_BASELINE = "1e18cb1";

interface Tree {
  createTieredCache(deps: unknown): {
    read(key: string, tags: readonly string[], load: () => Promise<unknown>, policy: { ttlSeconds: number }): Promise<{ tier: string }>;
  };
  createQueryOptimizer(deps: unknown): { read(sql: string, params: unknown[]): Promise<{ tier: string }> };
}

async function load(root: string): Promise<Tree> {
  const url = (path: string) => pathToFileURL(join(root, path)).href;
  const cache = (await import(url("shared/cache/index.ts"))) as Pick<Tree, "createTieredCache">;
  const optimizer = (await import(url("shared/db/query-optimizer.ts"))) as Pick<Tree, "createQueryOptimizer">;
  return { ...cache, ...optimizer };
}

const POLICY = {
  ttlSeconds: { user: 3600, config: 3600, default: 3600 },
  tableClasses: {},
  slowQueryThresholdMs: 60_000,
  explainSlowQueries: false,
  slowQueryLogSize: 10,
  statsMaxFingerprints: 100,
  analysisCacheSize: 100,
  topFingerprints: 5,
  // Refresh after write on, as by default (the baseline tree ignores it): an L1 hit must not pay for it.
  refreshAfterWriteReads: 1000,
};

/**
 * Redis as both trees' stores see it: every tag at version 1, no values, locks free. It answers
 * while L1 fills and refuses once `timing` is set: an L1 hit must not need it.
 */
function benchStore() {
  const state = { timing: false, callsWhileTiming: 0 };
  const answer = <T>(value: T) => {
    if (!state.timing) return Promise.resolve(value);
    state.callsWhileTiming++;
    return Promise.reject(new Error("store called during an L1-hit benchmark"));
  };
  const ones = (keys: readonly string[]) => keys.map(() => 1);
  const store = {
    lookup: (_key: string, tags: readonly string[]) => answer({ value: null, versions: ones(tags) }),
    versions: (tags: readonly string[]) => answer(ones(tags)),
    lockAndLookup: (_l: string, _t: string, _ms: number, _k: string, tags: readonly string[]) => answer({ locked: true, value: null, versions: ones(tags) }),
    set: () => answer(undefined),
    del: () => answer(undefined),
    // The baseline's store interface.
    setIfAbsent: () => answer(true),
    incr: (keys: readonly string[]) => answer(ones(keys)),
    // This tree's.
    bump: (keys: readonly string[]) => answer(ones(keys)),
    seed: (keys: readonly string[]) => answer(ones(keys)),
  };
  return { store, state };
}

/** Redis unreachable: every call fails, and the breaker, once open, stays open for the run. */
const downStore = new Proxy({}, { get: () => () => Promise.reject(new Error("redis down")) });
const HOUR = 3_600_000;

const SQL = "SELECT id::text AS id, email, display_name, plan_tier, role, created_at, updated_at FROM users WHERE id = $1";

async function hotReader(tree: Tree, ids: string[], store: object) {
  const cache = tree.createTieredCache({ store, options: { tagCheckIntervalMs: HOUR, breakerCooldownMs: HOUR, keyPrefix: "bench:" } });
  const executor = {
    run: async (_sql: string, params: readonly unknown[]) => ({ rows: [{ id: params[0], email: "a@b", display_name: null }], rowCount: 1, command: "SELECT" }),
    transaction: () => Promise.reject(new Error("unused")),
    explain: () => Promise.reject(new Error("unused")),
  };
  const optimizer = tree.createQueryOptimizer({ executor, cache, policy: POLICY });
  // First reads load (into L1; the down store fails, then its breaker opens), then every read is an L1 hit.
  for (const id of ids) await optimizer.read(SQL, [id]).catch(() => undefined);
  for (const id of ids) if ((await optimizer.read(SQL, [id])).tier !== "l1") throw new Error("not an L1 hit");
  return async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await optimizer.read(SQL, [ids[i % ids.length]!]);
    return ((performance.now() - t0) * 1000) / n;
  };
}

/** The cache alone, with the tags each tree gives a read by id (baseline: the table; now: the table and the row). */
async function hotCache(tree: Tree, ids: string[], rowTags: boolean, store: object) {
  const cache = tree.createTieredCache({ store, options: { tagCheckIntervalMs: HOUR, keyPrefix: "bench:" } });
  const tags = ids.map((id) => (rowTags ? ["public.users", `public.users:id=${id}`] : ["public.users"]));
  const policy = { ttlSeconds: 3600 };
  const value = async () => ({ rows: [] });
  for (let i = 0; i < ids.length; i++) await cache.read(`k${i}`, tags[i]!, value, policy).catch(() => undefined);
  return async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const k = i % ids.length;
      await cache.read(`k${k}`, tags[k]!, value, policy);
    }
    return ((performance.now() - t0) * 1000) / n;
  };
}

export async function l1HitOverhead(baseline = DEFAULT_BASELINE, rounds = 60, perRound = 20_000) {
  const dir = join(repoRoot, "node_modules/.cache/netra-baseline", baseline);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync("git", ["archive", baseline, "shared"], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  const ids = Array.from({ length: 100 }, (_, i) => String(i + 1));
  const [old, now] = [await load(dir), await load(repoRoot)];
  const redis = benchStore();
  const readers = {
    baseline: await hotReader(old, ids, redis.store),
    current: await hotReader(now, ids, redis.store),
    cacheBaseline: await hotCache(old, ids, false, redis.store),
    cacheCurrent: await hotCache(now, ids, true, redis.store),
    downBaseline: await hotReader(old, ids, downStore),
    downCurrent: await hotReader(now, ids, downStore),
  };
  redis.state.timing = true;
  const samples: Record<keyof typeof readers, number[]> = { baseline: [], current: [], cacheBaseline: [], cacheCurrent: [], downBaseline: [], downCurrent: [] };
  const names = Object.keys(readers) as (keyof typeof readers)[];
  for (let r = 0; r < 5; r++) for (const name of names) await readers[name](perRound);
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so drift on the shared machine hits every variant alike.
    for (let j = 0; j < names.length; j++) {
      const name = names[(r + j) % names.length]!;
      samples[name].push(await readers[name](perRound));
    }
  }
  if (redis.state.callsWhileTiming > 0) throw new Error(`${redis.state.callsWhileTiming} store calls during the timed L1 hits`);
  const p50 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.5);
  return {
    baselineUs: p50(samples.baseline),
    currentUs: p50(samples.current),
    ratio: p50(samples.current) / p50(samples.baseline),
    cacheBaselineUs: p50(samples.cacheBaseline),
    cacheCurrentUs: p50(samples.cacheCurrent),
    cacheRatio: p50(samples.cacheCurrent) / p50(samples.cacheBaseline),
    downBaselineUs: p50(samples.downBaseline),
    downCurrentUs: p50(samples.downCurrent),
    downRatio: p50(samples.downCurrent) / p50(samples.downBaseline),
  };
}
