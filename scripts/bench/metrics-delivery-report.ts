/**
 * The delivery part of `npm run bench -- metrics`: freshness and stranded events through
 * a real `wrangler dev` (scripts/bench/metrics-delivery.ts), the two designs side by side,
 * and inserts/parts at scale by simulation (scripts/bench/metrics-scale.ts).
 */
import { createClient } from "@clickhouse/client-web";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { localConfig, localUrls } from "../lib/local-config.ts";
import { repoRoot, startWrangler, waitForHttp, type DevServer } from "../lib/dev-servers.ts";
import { measureFreshness, measureStranded, type DeliveryTarget } from "./metrics-delivery.ts";
import { simulateIsolate, type ScaleResult } from "./metrics-scale.ts";
import type { BenchReport, BenchTarget } from "./report.ts";

/** The designs compared in wrangler dev, by the variables that select them. */
const DESIGNS = [
  { name: "send when the insert before is done (chosen)", vars: [] as string[] },
  { name: "bounded wait of 1 s in waitUntil", vars: ["BATCH_FLUSH_INTERVAL_MS:1000"] },
];

/** ClickHouse's guidance for synchronous inserts: about one insert per second per table. */
const GUIDANCE_PARTS_PER_MIN = 60;

async function devServer(vars: string[]): Promise<DevServer> {
  const server = startWrangler(localConfig(), { quiet: true, extraArgs: vars.flatMap((v) => ["--var", v]) });
  await waitForHttp(`${server.url}/health`, { server, ok: () => true });
  return server;
}

export async function deliveryReport(): Promise<Required<Omit<BenchReport, "figures">> & Pick<BenchReport, "figures">> {
  const urls = localUrls();
  const client = createClient({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD });
  const target: DeliveryTarget = { client, database: urls.CLICKHOUSE_DATABASE };
  const runId = `bench${Date.now().toString(36)}`;
  const freshnessRows: Record<string, number | string>[] = [];
  let chosen = { p99: Number.POSITIVE_INFINITY, stranded: Number.NaN, duplicated: Number.NaN };
  try {
    for (const [i, design] of DESIGNS.entries()) {
      const server = await devServer(design.vars);
      try {
        const fresh = await measureFreshness(server, target, { requests: i === 0 ? 10 : 6, spacingMs: 3000, runId: `${runId}-${i}` });
        const stranded = await measureStranded(server, target, { n: 30, concurrency: 1, runId: `${runId}-${i}`, interrupt: () => server.stop() });
        freshnessRows.push({
          design: design.name, requests: fresh.lagsMs.length, p50_ms: Math.round(fresh.p50Ms), p99_ms: Math.round(fresh.p99Ms),
          stranded_of_30: stranded.missing, duplicated: stranded.duplicated,
        });
        if (i === 0) chosen = { p99: fresh.p99Ms, stranded: stranded.missing, duplicated: stranded.duplicated };
      } finally {
        await server.stop();
      }
    }
    await client.command({ query: `DELETE FROM ${target.database}.request_events WHERE request_id LIKE {p:String}`, query_params: { p: `%-${runId}-%` } });
  } finally {
    await client.close();
  }

  const scale: ScaleResult[] = [];
  for (const isolates of [1000, 10_000]) {
    for (const [flushIntervalMs, insertRttMs, asyncInsert] of [[0, 20, false], [1000, 20, false], [0, 520, true]] as const) {
      scale.push(await simulateIsolate({ isolates, totalRequestsPerS: 100_000, flushIntervalMs, insertRttMs, asyncInsert }));
    }
  }
  const production = scale.filter((r) => r.asyncInsert && r.flushIntervalMs === 0);
  const worst = production.reduce((a, b) => (b.insertsPerS > a.insertsPerS ? b : a));
  const targets: Record<string, BenchTarget> = {
    freshness_p99_ms: { target: "<= 2000", met: chosen.p99 <= 2000 },
    stranded_events: { target: "= 0", met: chosen.stranded === 0 && chosen.duplicated === 0 },
    parts_per_min_at_scale: { target: `<= ${GUIDANCE_PARTS_PER_MIN} per table (about 1 insert/s)`, met: worst.partsPerMin <= GUIDANCE_PARTS_PER_MIN },
  };
  return {
    figures: {
      freshness_p99_ms: Math.round(chosen.p99),
      stranded_events: chosen.stranded,
      inserts_per_s_at_scale: worst.insertsPerS,
      parts_per_min_at_scale: worst.partsPerMin,
    },
    targets,
    tables: {
      delivery_wrangler_dev: freshnessRows,
      scale_100k_req_per_s: scale.map((r) => ({
        isolates: r.isolates, flush_interval_ms: r.flushIntervalMs, async_insert: r.asyncInsert ? "yes" : "no", insert_rtt_ms: r.insertRttMs,
        inserts_per_s: r.insertsPerS, events_per_insert: r.eventsPerInsert, parts_per_min_per_table: r.partsPerMin, freshness_p99_ms: r.freshnessP99Ms,
      })),
    },
    notes: [
      "freshness: single requests 3 s apart through wrangler dev, response end to row visible in ClickHouse (polled every 10 ms)",
      "stranded_events: 30 sequential requests, then SIGINT to wrangler dev's process group at once; rows counted 3 s later",
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
