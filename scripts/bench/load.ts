/**
 * `npm run bench -- load [--duration 60] [--connections 32]`: the API under load through
 * `wrangler dev` on loopback (port 8892), three routes one after the other in the same
 * run, each for `duration` seconds at `connections` connections (autocannon):
 * - trivial: GET /v1/ping (auth: the same middleware as every API route, no cache, no database)
 * - l1:      GET /v1/users/:id of one warm user (an L1 hit every time)
 * - write:   PATCH /v1/users/:id, round-robin over 9 users (a database write and a cache invalidation each)
 * Figures: req/s and p50/p99 latency per route; errors (non-2xx + socket errors +
 * timeouts, target 0); l1_vs_trivial_throughput = L1 req/s / trivial req/s (target >= 0.9).
 *
 * The Worker runs from a snapshot bundle (edits to the tree during the run must not
 * reload it and empty L1) over a throwaway database, with the rate limits raised so the
 * benchmark measures the API, not the limiter's 429s (the limiter still runs).
 */
import autocannon from "autocannon";
import { localConfig } from "../lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../lib/dev-servers.ts";
import { buildWorkerSnapshot } from "../lib/worker-snapshot.ts";
import { snapshotVars } from "./snapshot-vars.ts";
import { createBenchDatabase } from "./cache-fixture.ts";
import type { BenchReport } from "./report.ts";

const PORTS = { port: 8892, inspectorPort: 9492 };
const SNAPSHOT_DIR = "/tmp/netra-bench-load/worker";

interface Options {
  duration: number;
  connections: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { duration: 60, connections: 32 };
  for (let i = 0; i < args.length; i++) {
    const value = Number(args[i + 1]);
    if (args[i] === "--duration" && Number.isInteger(value) && value > 0) o.duration = value;
    else if (args[i] === "--connections" && Number.isInteger(value) && value > 0) o.connections = value;
    else continue;
    i++;
  }
  return o;
}

interface RouteRun {
  route: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
}

async function load(label: string, url: string, o: Options, init: Partial<Parameters<typeof autocannon>[0]>): Promise<RouteRun> {
  const result = await autocannon({ url, connections: o.connections, duration: o.duration, timeout: 10, ...init });
  return {
    route: label,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    socketErrors: result.errors - result.timeouts,
    timeouts: result.timeouts,
  };
}

async function tierOf(url: string, headers: Record<string, string>): Promise<string | null> {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  return res.headers.get("x-cache");
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export default async function run(args: string[]): Promise<BenchReport> {
  const o = parseArgs(args);
  const adminKey = `bench-load-${Math.random().toString(36).slice(2)}`;
  const db = await createBenchDatabase(10);
  let server: DevServer | undefined;
  try {
    const config = buildWorkerSnapshot(SNAPSHOT_DIR);
    const vars = snapshotVars(db.url, adminKey);
    server = startWrangler({ ...localConfig(), wrangler: PORTS }, {
      quiet: process.env.BENCH_VERBOSE !== "1",
      extraArgs: ["-c", config, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
    });
    await waitForHttp(`${server.url}/ping`, { server, ok: (s) => s === 200, timeoutMs: 90_000 });

    const headers = { authorization: `Bearer ${adminKey}` };
    const warm = db.userIds[0]!;
    const l1Url = `${server.url}/v1/users/${warm}`;
    await tierOf(l1Url, headers);
    const tierBefore = await tierOf(l1Url, headers);
    // Warm-up (not measured): JIT, the key cache and connection pools.
    await autocannon({ url: `${server.url}/v1/ping`, connections: o.connections, duration: Math.min(5, o.duration), headers });

    const trivial = await load("GET /v1/ping (auth)", `${server.url}/v1/ping`, o, { headers });
    const l1 = await load("GET /v1/users/:id (L1 hit)", l1Url, o, { headers });
    const tierAfter = await tierOf(l1Url, headers);
    // Round-robin over the other users: one row would measure its lock queue, not the route.
    let next = 0;
    const writeIds = db.userIds.slice(1);
    const write = await load("PATCH /v1/users/:id", server.url, o, {
      requests: [{
        method: "PATCH",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ displayName: "Load bench" }),
        setupRequest: (req) => ({ ...req, path: `/v1/users/${writeIds[next++ % writeIds.length]!}` }),
      }],
    });

    const runs = [trivial, l1, write];
    const errors = runs.reduce((n, r) => n + r.non2xx + r.socketErrors + r.timeouts, 0);
    const ratio = l1.reqPerSec / trivial.reqPerSec;
    const figures = {
      errors,
      l1_vs_trivial_throughput: round(ratio),
      trivial_req_per_s: round(trivial.reqPerSec, 1),
      trivial_p50_ms: trivial.p50,
      trivial_p99_ms: trivial.p99,
      l1_req_per_s: round(l1.reqPerSec, 1),
      l1_p50_ms: l1.p50,
      l1_p99_ms: l1.p99,
      write_req_per_s: round(write.reqPerSec, 1),
      write_p50_ms: write.p50,
      write_p99_ms: write.p99,
    };
    return {
      figures,
      targets: {
        errors: { target: "= 0", met: errors === 0 },
        l1_vs_trivial_throughput: { target: ">= 0.9", met: ratio >= 0.9 },
      },
      tables: {
        [`${o.connections} connections, ${o.duration} s per route, through wrangler dev`]: runs.map((r) => ({
          route: r.route,
          "req/s": round(r.reqPerSec, 1),
          p50_ms: r.p50,
          p99_ms: r.p99,
          requests: r.requests,
          non2xx: r.non2xx,
          socket_errors: r.socketErrors,
          timeouts: r.timeouts,
        })),
      },
      notes: [
        `The L1 route's x-cache was "${tierBefore}" before its run and "${tierAfter}" after it (both must be l1).`,
        "Latency is autocannon's (1 ms resolution). Routes run one after the other in the same wrangler dev isolate; the machine's other load shifts all three alike.",
        "Rate limits raised via --var (RATE_LIMIT_KEY_REQUESTS, RATE_LIMIT_IP_REQUESTS) so no 429 is counted; the limiter itself still runs on every request.",
      ],
    };
  } finally {
    await server?.stop();
    await db.drop();
  }
}
