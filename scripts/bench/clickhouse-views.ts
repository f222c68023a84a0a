/**
 * `npm run bench -- clickhouse-views [--inserts 20] [--rows 225]`: what the local ClickHouse
 * spends per insert into request_events with its six materialized views, without the three
 * all-routes views, and with none (the raw table alone). A throwaway database gets every
 * migration; the views are dropped in two steps between the runs. CPU is the endpoint
 * process's (/proc), over the inserts (4 a second, as a busy isolate flushes) and the 3 s of
 * merges after them. The floor bench shows this cost per request; this says where it comes from.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@clickhouse/client-web";
import { localConfig, localUrls } from "../lib/local-config.ts";
import { migrateClickHouse } from "../migrate.ts";
import type { RequestEventRow } from "../../shared/analytics/event-rows.ts";
import type { BenchReport } from "./report.ts";

const TOTAL_VIEWS = ["request_total_minute_mv", "request_total_hour_mv", "request_total_day_mv"];
const ROLLUP_VIEWS = ["request_rollup_minute_mv", "request_rollup_hour_mv", "request_rollup_day_mv"];

function endpointCpuMs(): number {
  const pid = Number(readFileSync(join(localConfig().stateDir, "pids", "clickhouse.pid"), "utf8").trim());
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const row = (i: number): RequestEventRow => ({
  ts: Date.now(),
  request_id: `bench-${i}`,
  route: "/v1/users/:id",
  method: "GET",
  status: 200,
  duration_ms: 3,
  cache_tier: "l1",
  db_ms: 0,
  response_bytes: 300,
  isolate_id: "bench",
  colo: "",
  country: "",
});

export default async function run(args: string[]): Promise<BenchReport> {
  const { values } = parseArgs({ args, options: { inserts: { type: "string", default: "20" }, rows: { type: "string", default: "225" } } });
  const inserts = Number(values.inserts);
  const rows = Number(values.rows);
  const urls = localUrls();
  const database = `bench_views_${Date.now().toString(36)}`;
  await migrateClickHouse({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD, database }, { log: () => undefined });
  const ch = createClient({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD });
  const perInsert = async (): Promise<number> => {
    const before = endpointCpuMs();
    for (let k = 0; k < inserts; k++) {
      await ch.insert({ table: `${database}.request_events`, values: Array.from({ length: rows }, (_, i) => row(k * rows + i)), format: "JSONEachRow" });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return (endpointCpuMs() - before) / inserts;
  };
  const drop = async (views: string[]) => {
    for (const view of views) await ch.command({ query: `DROP VIEW IF EXISTS ${database}.${view}` });
  };
  try {
    const all = await perInsert();
    await drop(TOTAL_VIEWS);
    const withoutTotals = await perInsert();
    await drop(ROLLUP_VIEWS);
    const raw = await perInsert();
    return {
      figures: {
        insert_cpu_ms_six_views: Math.round(all * 10) / 10,
        insert_cpu_ms_without_all_routes_views: Math.round(withoutTotals * 10) / 10,
        insert_cpu_ms_raw_table: Math.round(raw * 10) / 10,
      },
      notes: [`${inserts} inserts of ${rows} rows per variant into ${database}.request_events, 4 a second, CPU of the local ClickHouse endpoint (chdb) including 3 s of merges after each variant`],
    };
  } finally {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await ch.close();
  }
}
