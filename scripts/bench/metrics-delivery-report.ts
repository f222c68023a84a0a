/**
 * The delivery part of `npm run bench -- metrics`: the flush designs side by side through
 * a real `wrangler dev` (scripts/bench/metrics-designs.ts: freshness, inserts and CPU
 * under load, events kept on stop), stranded events on the paths a user stops the dev
 * stack by (scripts/bench/metrics-delivery.ts), and inserts/parts at scale by simulation
 * (scripts/bench/metrics-scale.ts).
 */
import { createClient } from "@clickhouse/client-web";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadRoomConfig } from "../../shared/config.ts";
import { localConfig, localUrls } from "../lib/local-config.ts";
import { repoRoot, startWrangler, waitForHttp } from "../lib/dev-servers.ts";
import { startInsertCounter } from "./insert-counter.ts";
import { measureStranded, startUserDev, type DeliveryTarget, type DevInterrupt, type StrandedResult } from "./metrics-delivery.ts";
import { runDesign, type DesignRun } from "./metrics-designs.ts";
import { simulateIsolate, type ScaleResult } from "./metrics-scale.ts";
import type { BenchReport, BenchTarget } from "./report.ts";

/** BATCH_FLUSH_INTERVAL_MS values compared in wrangler dev (0: send as soon as the insert before is done). */
const INTERVALS = [0, 250, 500, 1000];
const LOAD = { seconds: 10, connections: 32 };

/** ClickHouse's guidance for synchronous inserts: about one insert per second per table. */
const GUIDANCE_PARTS_PER_MIN = 60;

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/** N requests, then the dev stack stopped the way a user stops it. */
async function userPathStranded(target: DeliveryTarget, how: DevInterrupt, runId: string): Promise<StrandedResult & { exitCode: number | null }> {
  const { port, inspectorPort } = localConfig().wrangler;
  const dev = await startUserDev({ port, inspectorPort }, how);
  try {
    let exitCode: number | null = null;
    const result = await measureStranded(dev, target, { n: 30, concurrency: 1, runId, interrupt: async () => void (exitCode = await dev.interrupt(how)), settleMs: 1000 });
    return { ...result, exitCode };
  } finally {
    await dev.stop();
  }
}

/** The earlier behaviour, for comparison: SIGINT to `wrangler dev` with no drain first. */
async function bareSigintStranded(target: DeliveryTarget, runId: string): Promise<StrandedResult> {
  const server = startWrangler(localConfig(), { quiet: true, drainOnStop: false });
  try {
    await waitForHttp(`${server.url}/health`, { server, ok: () => true });
    return await measureStranded(server, target, { n: 30, concurrency: 1, runId, interrupt: () => server.stop() });
  } finally {
    await server.stop();
  }
}

export async function deliveryReport(): Promise<Required<Omit<BenchReport, "figures">> & Pick<BenchReport, "figures">> {
  const urls = localUrls();
  const client = createClient({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD });
  const target: DeliveryTarget = { client, database: urls.CLICKHOUSE_DATABASE };
  const counter = await startInsertCounter(urls.CLICKHOUSE_URL);
  const runId = `bench${Date.now().toString(36)}`;
  const defaultInterval = loadRoomConfig({}).batchProcessor.flushIntervalMs;
  const designs: DesignRun[] = [];
  const stopRows: Record<string, number | string>[] = [];
  let userMissing = 0;
  let userDuplicated = 0;
  try {
    for (const interval of INTERVALS) {
      designs.push(await runDesign(interval, { target, counter, runId, freshnessRequests: interval === defaultInterval ? 10 : 6, loadSeconds: LOAD.seconds, connections: LOAD.connections }));
    }
    for (const how of ["ctrl-c", "sigint-dev-process"] as const) {
      const r = await userPathStranded(target, how, `${runId}-${how}`);
      userMissing += r.missing;
      userDuplicated += r.duplicated;
      stopRows.push({ stop: how === "ctrl-c" ? "npm run dev, Ctrl-C (SIGINT to its process group)" : "scripts/dev.ts, SIGINT to that process alone", drain: "yes", sent: r.sent, missing: r.missing, duplicated: r.duplicated, exit_code: r.exitCode ?? "signal" });
    }
    const bare = await bareSigintStranded(target, `${runId}-bare`);
    stopRows.push({ stop: "wrangler dev alone, SIGINT (no drain: the earlier behaviour)", drain: "no", sent: bare.sent, missing: bare.missing, duplicated: bare.duplicated, exit_code: "-" });
    await client.command({ query: `DELETE FROM ${target.database}.request_events WHERE request_id LIKE {p:String}`, query_params: { p: `%-${runId}-%` } });
  } finally {
    await counter.close();
    await client.close();
  }
  const chosen = designs.find((d) => d.flushIntervalMs === defaultInterval);
  if (chosen === undefined) throw new Error(`the default BATCH_FLUSH_INTERVAL_MS (${defaultInterval}) is not among the measured designs`);

  const scale: ScaleResult[] = [];
  for (const isolates of [1000, 10_000]) {
    for (const [flushIntervalMs, insertRttMs, asyncInsert] of [[0, 20, false], [1000, 20, false], [0, 520, true]] as const) {
      scale.push(await simulateIsolate({ isolates, totalRequestsPerS: 100_000, flushIntervalMs, insertRttMs, asyncInsert }));
    }
  }
  const production = scale.filter((r) => r.asyncInsert && r.flushIntervalMs === 0);
  const worst = production.reduce((a, b) => (b.insertsPerS > a.insertsPerS ? b : a));
  const targets: Record<string, BenchTarget> = {
    freshness_p99_ms: { target: "<= 2000", met: chosen.freshness.p99Ms <= 2000 },
    stranded_events: { target: "= 0", met: userMissing === 0 && userDuplicated === 0 },
    parts_per_min_at_scale: { target: `<= ${GUIDANCE_PARTS_PER_MIN} per table (about 1 insert/s)`, met: worst.partsPerMin <= GUIDANCE_PARTS_PER_MIN },
  };
  return {
    figures: {
      freshness_p99_ms: Math.round(chosen.freshness.p99Ms),
      stranded_events: userMissing,
      inserts_per_s_under_load: round(chosen.load.insertsPerS, 1),
      inserts_per_s_at_scale: worst.insertsPerS,
      parts_per_min_at_scale: worst.partsPerMin,
    },
    targets,
    tables: {
      delivery_wrangler_dev: designs.map((d) => ({
        flush_interval_ms: d.flushIntervalMs, default: d.flushIntervalMs === defaultInterval ? "yes" : "",
        freshness_p50_ms: Math.round(d.freshness.p50Ms), freshness_p99_ms: Math.round(d.freshness.p99Ms),
        req_per_s: round(d.load.reqPerS), inserts_per_s: round(d.load.insertsPerS, 1), requests_per_insert: round(d.load.reqPerS / Math.max(d.load.insertsPerS, 0.1), 1),
        worker_cpu_ms_per_1k_req: round(d.load.workerCpuSPerKReq * 1000), clickhouse_cpu_ms_per_1k_req: round(d.load.clickhouseCpuSPerKReq * 1000),
        stranded_of_30_on_stop: d.stranded.missing, duplicated: d.stranded.duplicated,
      })),
      stop_paths: stopRows,
      scale_100k_req_per_s: scale.map((r) => ({
        isolates: r.isolates, flush_interval_ms: r.flushIntervalMs, async_insert: r.asyncInsert ? "yes" : "no", insert_rtt_ms: r.insertRttMs,
        inserts_per_s: r.insertsPerS, events_per_insert: r.eventsPerInsert, parts_per_min_per_table: r.partsPerMin, freshness_p99_ms: r.freshnessP99Ms,
      })),
    },
    notes: [
      `designs: one wrangler dev per BATCH_FLUSH_INTERVAL_MS (${INTERVALS.join(", ")}; default ${defaultInterval}), inserts counted by a pass-through in front of ClickHouse`,
      "freshness: single requests 3 s apart, response end to row visible in ClickHouse (polled every 10 ms)",
      `load: autocannon GET /v1/ping, ${LOAD.connections} connections, ${LOAD.seconds} s after a 3 s warm-up, rate limiter off; CPU = utime+stime of wrangler's process group and of the ClickHouse endpoint, per 1,000 requests`,
      "stranded_of_30_on_stop: 30 sequential requests, then the dev server's stop (drain, then SIGINT); rows counted 3 s later",
      "stranded_events: 30 sequential requests, then `npm run dev` stopped with Ctrl-C (SIGINT to its process group), plus the same with SIGINT to scripts/dev.ts alone; missing rows of both runs",
      `inserts/parts at scale: simulated (the real EventSink on a virtual clock, Poisson arrivals, 60 s) at 100,000 req/s; headline = ${worst.isolates} isolates, async inserts (1 s server flush), insert round trip ${worst.insertRttMs} ms incl. waiting for the flush; parts per table per node, held against ~${GUIDANCE_PARTS_PER_MIN}/min (ClickHouse: ~1 insert/s per table)`,
    ],
  };
}

/** The figures of the last full run, for `--only delivery`. */
export function previousFigures(): { at: string; figures: Record<string, number | string>; targets: Record<string, BenchTarget> } {
  const file = join(repoRoot, "bench/results/metrics.json");
  if (!existsSync(file)) return { at: "never", figures: {}, targets: {} };
  const previous = JSON.parse(readFileSync(file, "utf8")) as { at: string; figures: Record<string, number | string>; targets?: Record<string, BenchTarget> };
  return { at: previous.at, figures: previous.figures, targets: previous.targets ?? {} };
}
