/**
 * `npm run bench -- cache`: every figure of the cache issue's benchmark, side by side in one run.
 * - l1_get_ratio / l1_set_ratio: our L1 tier vs raw lru-cache (cache-core.ts).
 * - In process (Node, real local Redis + Neon endpoints): p50/p99 of the read path for L1 hits,
 *   L2 hits and misses; speedup_l1_vs_db; hit_ratio under a Zipf workload after warm-up.
 * - Through `wrangler dev` (port 8821): l1_route_overhead = L1-hit p50 / authenticated trivial
 *   route p50; the plain HTTP miss/L1-hit ratio; stampede_loads (100 concurrent identical misses,
 *   counted by pg_stat_statements in a throwaway database).
 * - Remote database: a second Neon endpoint in this process with a 20 ms per-request delay and a
 *   second `wrangler dev` (port 8822) pointed at it: remote_speedup_l1_vs_db (injected delay).
 */
import { startNeonEndpoint } from "../local/neon/server.ts";
import { localConfig, localUrls } from "../lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../lib/dev-servers.ts";
import { loadConfig } from "../../shared/config.ts";
import { l1Ratios } from "./cache-core.ts";
import { createBenchDatabase } from "./cache-fixture.ts";
import { compareRoutes, misses, stampede, type HttpTarget } from "./cache-http.ts";
import { inProcessReadPath } from "./cache-inprocess.ts";
import type { BenchReport } from "./report.ts";

const REMOTE_DELAY_MS = 20;
const PORTS = { a: { port: 8821, inspectorPort: 9421 }, b: { port: 8822, inspectorPort: 9422 } };

/**
 * The cache is what is measured: rate limiting (a Redis round trip per request) and the
 * request log line are turned off on both sides of every HTTP comparison, so they
 * neither hide nor inflate the cache's own cost. `npm run bench -- load` keeps them on.
 */
const WITHOUT_ACCESS_OVERHEAD = { RATE_LIMIT_KEY_REQUESTS: "0", RATE_LIMIT_IP_REQUESTS: "0", LOG_REQUESTS: "0" };

function startDev(name: "a" | "b", vars: Record<string, string>): DevServer {
  const cfg = { ...localConfig(), wrangler: PORTS[name] };
  const extraArgs = Object.entries({ ...WITHOUT_ACCESS_OVERHEAD, ...vars }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  return startWrangler(cfg, { quiet: process.env.BENCH_VERBOSE !== "1", extraArgs });
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export default async function run(): Promise<BenchReport> {
  const urls = localUrls();
  const adminKey = `bench-admin-${Math.random().toString(36).slice(2)}`;
  // 2000 Zipf keys, then disjoint never-read sets for each measurement that needs misses.
  const db = await createBenchDatabase(3000);
  const ids = db.userIds;
  const zipfIds = ids.slice(0, 2000);
  const coldInProcess = ids.slice(2000, 2300);
  const coldHttp = ids.slice(2300, 2600);
  const coldRemote = ids.slice(2600, 2700);
  const [stampedeId, stampedeTwoId] = [ids[2700]!, ids[2701]!];
  const hotIds = zipfIds.slice(0, 20);

  const remoteNeon = await startNeonEndpoint({ port: 0, delayMs: REMOTE_DELAY_MS });
  const common = { DATABASE_URL: db.url, API_ADMIN_KEY: adminKey };
  const servers = [
    startDev("a", common),
    startDev("b", { ...common, NEON_LOCAL_ENDPOINT: `127.0.0.1:${remoteNeon.port}` }),
  ];
  try {
    const ratios = l1Ratios();

    const config = loadConfig({
      DATABASE_URL: db.url,
      NEON_LOCAL_ENDPOINT: urls.NEON_LOCAL_ENDPOINT,
      UPSTASH_REDIS_REST_URL: urls.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: urls.UPSTASH_REDIS_REST_TOKEN,
    });
    const inProcess = await inProcessReadPath(config, zipfIds, coldInProcess);

    await Promise.all(servers.map((s) => waitForHttp(`${s.url}/ping`, { server: s, ok: (st) => st === 200, timeoutMs: 90_000 })));
    const [a, b]: HttpTarget[] = servers.map((s) => ({ url: s.url, adminKey }));
    const local = await compareRoutes(a!, hotIds);
    const localMisses = await misses(a!, coldHttp);

    const callsBefore = await db.byIdCalls();
    const herd = await stampede([a!], stampedeId);
    const stampedeLoads = (await db.byIdCalls()) - callsBefore;
    const callsBeforeTwo = await db.byIdCalls();
    const herdTwo = await stampede([a!, b!], stampedeTwoId);
    const stampedeLoadsTwo = (await db.byIdCalls()) - callsBeforeTwo;

    const remote = await compareRoutes(b!, hotIds.slice(0, 10), 10, 30);
    const remoteMisses = await misses(b!, coldRemote);

    const figures = {
      l1_get_ratio: round(ratios.l1_get_ratio),
      l1_set_ratio: round(ratios.l1_set_ratio),
      l1_hit_p50_us: round(inProcess.tiers.l1.p50 * 1000, 2),
      l1_hit_p99_us: round(inProcess.tiers.l1.p99 * 1000, 2),
      l2_hit_p50_ms: round(inProcess.tiers.l2.p50),
      l2_hit_p99_ms: round(inProcess.tiers.l2.p99),
      miss_p50_ms: round(inProcess.tiers.miss.p50),
      miss_p99_ms: round(inProcess.tiers.miss.p99),
      speedup_l1_vs_db: round(inProcess.tiers.miss.p50 / inProcess.tiers.l1.p50, 1),
      hit_ratio: round(inProcess.hitRatio, 4),
      http_trivial_p50_ms: round(local.ping.p50),
      http_l1_hit_p50_ms: round(local.l1.p50),
      http_miss_p50_ms: round(localMisses.stats.p50),
      l1_route_overhead: round(local.l1.p50 / local.ping.p50),
      http_miss_vs_l1_ratio: round(localMisses.stats.p50 / local.l1.p50),
      remote_l1_hit_p50_ms: round(remote.l1.p50),
      remote_miss_p50_ms: round(remoteMisses.stats.p50),
      remote_speedup_l1_vs_db: round(remoteMisses.stats.p50 / remote.l1.p50, 2),
      stampede_loads: stampedeLoads,
      stampede_loads_two_isolates: stampedeLoadsTwo,
    };
    const target = (name: keyof typeof figures, op: ">=" | "<=" | "=", bound: number) => {
      const v = figures[name];
      return { target: `${op} ${bound}`, met: op === ">=" ? v >= bound : op === "<=" ? v <= bound : v === bound };
    };
    const ms = (s: { n: number; p50: number; p99: number }) => ({ n: s.n, p50_ms: round(s.p50), p99_ms: round(s.p99) });
    return {
      figures,
      targets: {
        l1_get_ratio: target("l1_get_ratio", ">=", 0.8),
        l1_set_ratio: target("l1_set_ratio", ">=", 0.8),
        speedup_l1_vs_db: target("speedup_l1_vs_db", ">=", 100),
        l1_route_overhead: target("l1_route_overhead", "<=", 1.15),
        remote_speedup_l1_vs_db: target("remote_speedup_l1_vs_db", ">=", 5),
        hit_ratio: target("hit_ratio", ">=", 0.9),
        stampede_loads: target("stampede_loads", "=", 1),
      },
      tables: {
        "read path in process (optimizer.read, Node clock)": [
          { tier: "l1 hit", ...ms(inProcess.tiers.l1) },
          { tier: "l2 hit", ...ms(inProcess.tiers.l2) },
          { tier: "miss (Neon endpoint)", ...ms(inProcess.tiers.miss) },
        ],
        "HTTP through wrangler dev (sequential, keep-alive)": [
          { route: "GET /ping (no auth)", ...ms(local.publicPing) },
          { route: "GET /v1/ping (auth)", ...ms(local.ping) },
          { route: "GET /v1/users/:id (L1 hit)", ...ms(local.l1) },
          { route: "GET /v1/users/:id (miss)", ...ms(localMisses.stats) },
          { route: `remote db (+${REMOTE_DELAY_MS} ms): /v1/ping`, ...ms(remote.ping) },
          { route: `remote db (+${REMOTE_DELAY_MS} ms): L1 hit`, ...ms(remote.l1) },
          { route: `remote db (+${REMOTE_DELAY_MS} ms): miss`, ...ms(remoteMisses.stats) },
        ],
        "L1 ops/s (ours vs raw lru-cache)": [
          { op: "get", ours: Math.round(ratios.ours_get_ops_per_s), raw: Math.round(ratios.raw_get_ops_per_s), ratio: round(ratios.l1_get_ratio) },
          { op: "set", ours: Math.round(ratios.ours_set_ops_per_s), raw: Math.round(ratios.raw_set_ops_per_s), ratio: round(ratios.l1_set_ratio) },
        ],
      },
      notes: [
        `Zipf workload: ${inProcess.zipf.ops} reads over ${inProcess.zipf.keys} keys (s = ${inProcess.zipf.s}), hit ratio over the reads after the first ${inProcess.zipf.warmup}; tiers seen: ${JSON.stringify(inProcess.zipf.tierCounts)}. L1 holds CACHE_MAX_ENTRIES (default 1000) entries, so evicted keys come back from L2.`,
        "l1_route_overhead compares with the authenticated /v1/ping (same middleware: auth with the isolate's key cache, timing); /ping without auth is listed for reference.",
        `remote_speedup_l1_vs_db uses an injected delay: a second local Neon endpoint adds ${REMOTE_DELAY_MS} ms to every /sql request (a cross-region round trip); it is not a measurement of real Neon.`,
        `stampede: 100 concurrent GETs of one never-read user; one wrangler dev: answers ${herd.ok}/100 ok, tiers ${JSON.stringify(herd.tiers)}; split over two wrangler dev processes (two isolates sharing Redis): ${herdTwo.ok}/100 ok, tiers ${JSON.stringify(herdTwo.tiers)}.`,
        `requests with an unexpected status or x-cache: ${JSON.stringify({ local: local.unexpected, localMisses: localMisses.unexpected, remote: remote.unexpected, remoteMisses: remoteMisses.unexpected })}.`,
        `database time inside the Worker on a miss (server-timing db;dur, p50): local ${round(localMisses.db.p50)} ms, remote ${round(remoteMisses.db.p50)} ms.`,
        "Ratios are measured side by side in one run on this machine (2 cores); absolute latencies vary with load.",
      ],
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await remoteNeon.close();
    await db.drop();
  }
}
