/**
 * `npm run bench -- coherence [--trials 10000] [--bound-trials 200] [--reset-rounds 4]
 *   [--stampede-trials 100] [--hit-ops 20000]`: cache coherence across isolates (issue 15).
 * Two `wrangler dev` isolates (ports 8722/8723) on one Redis and a throwaway database:
 * - ryw_stale_reads: write on one isolate, read on the other with the write's token.
 * - stale_beyond_bound / worst_staleness_ms: the same without the token, polled until fresh.
 * - redis_reset_stale_reads: reads after Redis restarts without persistence or loses its tag keys.
 * - stampede_loads_two_isolates: concurrent cold reads split over both (max over trials).
 * In this Node process (same core code, real Redis and Postgres):
 * - hit_ratio_row_tags / hit_ratio_table_tags: Zipf reads with 5% single-row writes.
 * - l1_hit_overhead_ratio: L1-hit p50 now / at the baseline commit, no token.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "../../shared/config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../lib/dev-servers.ts";
import { localConfig, localUrls } from "../lib/local-config.ts";
import { createBenchDatabase } from "./cache-fixture.ts";
import { readYourWrites, redisForgets, stampedes, staleness, type Isolate } from "./coherence-http.ts";
import { hitRatios } from "./coherence-hits.ts";
import { DEFAULT_BASELINE, l1HitOverhead } from "./coherence-overhead.ts";
import type { BenchReport } from "./report.ts";

const PORTS = [
  { port: 8722, inspectorPort: 9722 },
  { port: 8723, inspectorPort: 9723 },
];
/** Rate limits and request logs off: the cache is what is measured (as in `bench -- cache`). */
const VARS = { RATE_LIMIT_KEY_REQUESTS: "0", RATE_LIMIT_IP_REQUESTS: "0", LOG_REQUESTS: "0" };

function startDev(i: number, vars: Record<string, string>): DevServer {
  const extraArgs = Object.entries({ ...VARS, ...vars }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  return startWrangler({ ...localConfig(), wrangler: PORTS[i]! }, { quiet: process.env.BENCH_VERBOSE !== "1", extraArgs });
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export default async function run(args: string[]): Promise<BenchReport> {
  const { values } = parseArgs({
    args,
    options: {
      trials: { type: "string", default: "10000" },
      "bound-trials": { type: "string", default: "200" },
      "reset-rounds": { type: "string", default: "4" },
      "stampede-trials": { type: "string", default: "100" },
      "hit-ops": { type: "string", default: "20000" },
      baseline: { type: "string", default: DEFAULT_BASELINE },
    },
  });
  const n = (name: keyof typeof values) => Number(values[name]);
  const loadBefore = os.loadavg();
  const started = Date.now();
  const db = await createBenchDatabase(3000);
  const ids = db.userIds;
  const adminKey = `bench-admin-${Math.random().toString(36).slice(2)}`;
  const servers = [0, 1].map((i) => startDev(i, { DATABASE_URL: db.url, API_ADMIN_KEY: adminKey }));
  try {
    const urls = localUrls();
    const config = loadConfig({
      DATABASE_URL: db.url,
      NEON_LOCAL_ENDPOINT: urls.NEON_LOCAL_ENDPOINT,
      UPSTASH_REDIS_REST_URL: urls.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: urls.UPSTASH_REDIS_REST_TOKEN,
    });
    const boundMs = config.cache.tagCheckIntervalMs + config.cache.redisTimeoutMs;
    const overhead = await l1HitOverhead(values.baseline);
    const hits = await hitRatios(config, ids.slice(1000, 3000), n("hit-ops"));

    await Promise.all(servers.map((s) => waitForHttp(`${s.url}/ping`, { server: s, ok: (st) => st === 200, timeoutMs: 120_000 })));
    const [a, b] = servers.map((s): Isolate => ({ url: s.url, adminKey })) as [Isolate, Isolate];
    const stampedeIds = ids.slice(500, 500 + n("stampede-trials"));
    const stampede = await stampedes(a, b, db, stampedeIds);
    const rywStarted = Date.now();
    const ryw = await readYourWrites(a, b, ids.slice(0, 40), n("trials"));
    const rywSeconds = Math.round((Date.now() - rywStarted) / 1000);
    const bound = await staleness(a, b, ids.slice(100, 110), n("bound-trials"), boundMs);
    const reset = await redisForgets(a, b, ids.slice(200, 210), n("reset-rounds"), boundMs);
    const loadAfter = os.loadavg();

    const figures = {
      ryw_trials: ryw.trials,
      ryw_stale_reads: ryw.stale,
      ryw_control_stale_without_token: ryw.controlStale,
      ryw_missing_token: ryw.missingToken,
      ryw_duration_s: rywSeconds,
      stale_bound_ms: boundMs,
      stale_trials: bound.trials,
      stale_beyond_bound: bound.staleBeyondBound,
      worst_staleness_ms: bound.worstStalenessMs,
      redis_reset_rounds: reset.rounds,
      redis_reset_reads: reset.reads,
      redis_reset_stale_reads: reset.staleReads + reset.writerStaleReads,
      stampede_trials: stampede.length,
      stampede_loads_two_isolates: Math.max(...stampede),
      hit_ratio_row_tags: round(hits.row),
      hit_ratio_table_tags: round(hits.table),
      hit_ops: hits.ops,
      l1_hit_overhead_ratio: round(overhead.ratio),
      l1_hit_p50_us: round(overhead.currentUs),
      l1_hit_p50_baseline_us: round(overhead.baselineUs),
      l1_cache_only_overhead_ratio: round(overhead.cacheRatio),
      l1_hit_overhead_ratio_redis_down: round(overhead.downRatio),
      l1_hit_p50_redis_down_us: round(overhead.downCurrentUs),
      l1_hit_p50_redis_down_baseline_us: round(overhead.downBaselineUs),
      errors: ryw.errors + bound.errors,
      load_avg_1m_before: round(loadBefore[0]!, 2),
      load_avg_1m_after: round(loadAfter[0]!, 2),
      duration_s: Math.round((Date.now() - started) / 1000),
    };
    return {
      figures,
      targets: {
        ryw_stale_reads: { target: "= 0", met: ryw.stale === 0 },
        stale_beyond_bound: { target: "= 0", met: bound.staleBeyondBound === 0 },
        redis_reset_stale_reads: { target: "= 0", met: figures.redis_reset_stale_reads === 0 },
        stampede_loads_two_isolates: { target: "= 1 every trial", met: stampede.every((x) => x === 1) },
        hit_ratio_row_tags: { target: ">= 0.85", met: hits.row >= 0.85 },
        l1_hit_overhead_ratio: { target: "<= 1.05", met: overhead.ratio <= 1.05 },
      },
      tables: { stampede_loads_histogram: Object.entries(countBy(stampede)).map(([loads, trials]) => ({ loads, trials })) },
      notes: [
        `stale bound = CACHE_TAG_CHECK_INTERVAL_MS (${config.cache.tagCheckIntervalMs}) + CACHE_REDIS_TIMEOUT_MS (${config.cache.redisTimeoutMs})`,
        `hit ratios: ${hits.ops} ops (${hits.writes} writes), first ${hits.warmup} are warm-up; Zipf s=1.1 over 2000 users; two isolates per design`,
        `l1 overhead: optimizer.read L1 hit now vs baseline ${values.baseline} (git archive), p50 of 60 rounds of 20,000 hits, tag versions known (Redis up, no check due); cache-only figure uses each design's tags; redis_down: breaker open, tags unverified, entries younger than the bound`,
      ],
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await db.drop();
  }
}

function countBy(xs: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
}
