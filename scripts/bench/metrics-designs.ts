/**
 * Flush designs side by side through a real `wrangler dev`, one Worker per design
 * (`BATCH_FLUSH_INTERVAL_MS`, the only difference): freshness of lone requests, then a
 * load (autocannon on GET /v1/ping, rate limiter off) counting the inserts ClickHouse
 * received (scripts/bench/insert-counter.ts) and the CPU the Worker's process group and
 * the ClickHouse endpoint spent, then N requests and a stop of the dev server (drain,
 * then SIGINT). Used by scripts/bench/metrics-delivery-report.ts.
 */
import autocannon from "autocannon";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { localConfig } from "../lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../lib/dev-servers.ts";
import { LOCAL_ADMIN_KEY } from "../services/stack.ts";
import type { InsertCounter } from "./insert-counter.ts";
import { measureFreshness, measureStranded, type DeliveryTarget, type FreshnessResult, type StrandedResult } from "./metrics-delivery.ts";

export interface DesignLoad {
  reqPerS: number;
  insertsPerS: number;
  /** CPU seconds per 1,000 requests: the Worker's process group (wrangler, workerd) and the ClickHouse endpoint. */
  workerCpuSPerKReq: number;
  clickhouseCpuSPerKReq: number;
}

export interface DesignRun {
  flushIntervalMs: number;
  freshness: FreshnessResult;
  load: DesignLoad;
  stranded: StrandedResult;
}

export interface DesignOptions {
  target: DeliveryTarget;
  counter: InsertCounter;
  runId: string;
  freshnessRequests: number;
  loadSeconds: number;
  connections: number;
  /** Stop without draining first (what SIGINT to a bare `wrangler dev` does). */
  drainOnStop?: boolean;
}

const TICKS_PER_S = 100;

/** utime + stime of every process in a process group (or of one pid), in clock ticks. */
function cpuTicks(match: { pgrp: number } | { pid: number }): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    if ("pid" in match && Number(entry) !== match.pid) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // Fields after "(comm)": state ppid pgrp ... utime (12th) stime (13th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if ("pgrp" in match && Number(fields[2]) !== match.pgrp) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

function clickhousePid(): number {
  return Number(readFileSync(join(localConfig().stateDir, "pids/clickhouse.pid"), "utf8").trim());
}

async function measureLoad(server: DevServer, counter: InsertCounter, seconds: number, connections: number): Promise<DesignLoad> {
  const url = `${server.url}/v1/ping`;
  const headers = { authorization: `Bearer ${LOCAL_ADMIN_KEY}` };
  await autocannon({ url, connections, duration: 3, headers });
  await sleep(1500);
  const pgrp = server.child.pid!;
  const chPid = clickhousePid();
  const before = { inserts: counter.inserts(), worker: cpuTicks({ pgrp }), ch: cpuTicks({ pid: chPid }) };
  const result = await autocannon({ url, connections, duration: seconds, headers, timeout: 10 });
  const inserts = counter.inserts() - before.inserts;
  // The window's last batch leaves after the load; its CPU is part of the load's cost.
  await sleep(1500);
  const kReq = result.requests.total / 1000;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load on ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    reqPerS: result.requests.average,
    insertsPerS: inserts / seconds,
    workerCpuSPerKReq: (cpuTicks({ pgrp }) - before.worker) / TICKS_PER_S / kReq,
    clickhouseCpuSPerKReq: (cpuTicks({ pid: chPid }) - before.ch) / TICKS_PER_S / kReq,
  };
}

/** One design from start to stop: freshness, load, then N requests and the stop. */
export async function runDesign(flushIntervalMs: number, o: DesignOptions): Promise<DesignRun> {
  const vars = {
    BATCH_FLUSH_INTERVAL_MS: String(flushIntervalMs),
    CLICKHOUSE_URL: o.counter.url,
    RATE_LIMIT_KEY_REQUESTS: "0",
    RATE_LIMIT_IP_REQUESTS: "0",
  };
  const server = startWrangler(localConfig(), {
    quiet: process.env.BENCH_VERBOSE !== "1",
    drainOnStop: o.drainOnStop ?? true,
    extraArgs: Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  });
  try {
    await waitForHttp(`${server.url}/health`, { server, ok: () => true });
    const freshness = await measureFreshness(server, o.target, { requests: o.freshnessRequests, spacingMs: 3000, runId: `${o.runId}-f${flushIntervalMs}` });
    const load = await measureLoad(server, o.counter, o.loadSeconds, o.connections);
    await sleep(Math.max(2000, flushIntervalMs * 2));
    const stranded = await measureStranded(server, o.target, { n: 30, concurrency: 1, runId: `${o.runId}-s${flushIntervalMs}`, interrupt: () => server.stop() });
    return { flushIntervalMs, freshness, load, stranded };
  } finally {
    await server.stop();
  }
}
