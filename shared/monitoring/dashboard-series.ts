/**
 * Everything the dashboard charts, for one time range, in four queries over the
 * rollups (the same tables the alert rules read, so a chart shows what the
 * alerts saw): requests, slow queries, WebSocket batching, ingestion. Buckets
 * are dense (every step from `from` to `to`), empty ones null or 0, so charts
 * show gaps honestly instead of joining across them.
 *
 * @example
 * const data = await dashboardSeries(clickHouseReader(client), "netra", rangeWindow("6h", Date.now()));
 */
import { requestRollupTable } from "../analytics/rollup-views.ts";
import type { ClickHouseReader } from "./clickhouse-source.ts";

export const RANGES = {
  "1h": { seconds: 3_600, stepSeconds: 60 },
  "6h": { seconds: 21_600, stepSeconds: 300 },
  "24h": { seconds: 86_400, stepSeconds: 900 },
  "7d": { seconds: 604_800, stepSeconds: 3_600 },
  "30d": { seconds: 2_592_000, stepSeconds: 21_600 },
} as const;

export type RangeName = keyof typeof RANGES;

export interface RangeWindow {
  range: RangeName;
  /** Epoch ms, inclusive; a multiple of the step. */
  from: number;
  /** Epoch ms, exclusive: the end of the current (partial) step, so fresh data shows. */
  to: number;
  stepSeconds: number;
  /** When the window was taken: rates in the partial last step divide by the time elapsed in it. */
  now: number;
}

/** The window of a named range ending now, aligned to its step (so the hourly rollup serves hour steps). */
export function rangeWindow(range: RangeName, now: number): RangeWindow {
  const { seconds, stepSeconds } = RANGES[range];
  const step = stepSeconds * 1000;
  const to = Math.floor(now / step) * step + step;
  return { range, from: to - seconds * 1000, to, stepSeconds, now };
}

type Num = number | null;

export interface DashboardSeries {
  window: RangeWindow;
  /** Bucket starts, epoch seconds (uPlot's x unit). */
  t: number[];
  requests: { rate: Num[]; count: number[]; errorRate: Num[]; p50: Num[]; p95: Num[]; p99: Num[]; hitRatio: Num[]; l1: Num[]; l2: Num[]; stale: Num[] };
  queries: { calls: number[]; slow: number[] };
  websocket: { messages: number[]; frames: number[]; messagesPerFrame: Num[]; queueWaitP95: Num[]; dropRate: Num[] };
  ingestion: { tables: Record<string, number[]>; lagP95: Num[] };
  totals: { requests: number; slowQueries: number; messages: number; ingested: number };
}

const HOUR = 3_600;

function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier "${name}"`);
  return name;
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === "" ? null : Number.isFinite(Number(v)) ? Number(v) : null);
const ratio = (part: number, whole: number): Num => (whole > 0 ? part / whole : null);

const INGESTION_TABLES = ["request_events", "query_events", "cache_events", "room_events"] as const;

export async function dashboardSeries(reader: ClickHouseReader, database: string, window: RangeWindow): Promise<DashboardSeries> {
  const db = identifier(database);
  const hourly = window.stepSeconds % HOUR === 0;
  const params = { from: window.from, to: window.to, step: window.stepSeconds };
  const range = (column: string) => `${column} >= toDateTime64({from:Int64} / 1000, 3) AND ${column} < toDateTime64({to:Int64} / 1000, 3)`;
  const bucket = (column: string) => `toUnixTimestamp(toStartOfInterval(${column}, INTERVAL {step:UInt32} SECOND)) AS t`;

  // Every route at once: the all-routes totals (one latency state per bucket).
  const requestGrain = hourly ? "hour" : "minute";
  const requestTable = { table: requestRollupTable(requestGrain, false), col: requestGrain };
  const requestsSql = `SELECT ${bucket(requestTable.col)}, sum(requests) AS n, sum(errors) AS e,
  quantilesTDigestMerge(0.5, 0.95, 0.99)(latency) AS q,
  sum(l1_hits) AS l1, sum(l2_hits) AS l2, sum(stale_hits) AS st, sum(misses) AS mi
FROM ${db}.${requestTable.table} WHERE ${range(requestTable.col)} GROUP BY t ORDER BY t`;

  const queriesSql = hourly
    ? `SELECT ${bucket("hour")}, sum(calls) AS calls, sum(slow) AS slow FROM ${db}.query_rollup_hour WHERE ${range("hour")} GROUP BY t ORDER BY t`
    : `SELECT ${bucket("ts")}, count() AS calls, countIf(slow) AS slow FROM ${db}.query_events WHERE ${range("ts")} GROUP BY t ORDER BY t`;

  const roomsSql = hourly
    ? `SELECT ${bucket("hour")}, sum(batch_size_sum) AS messages, sum(frames) AS frames, sum(dropped) AS dropped,
  quantilesTDigestMerge(0.5, 0.95, 0.99)(queue_wait)[2] AS wait95, sum(batches) AS batches
FROM ${db}.room_rollup_hour WHERE ${range("hour")} GROUP BY t ORDER BY t`
    : `SELECT ${bucket("ts")}, sumIf(batch_size, kind = 'flush') AS messages, sumIf(frames, kind = 'flush') AS frames, sum(dropped) AS dropped,
  quantileTDigestIf(0.95)(queue_wait_ms, kind = 'flush') AS wait95, countIf(kind = 'flush') AS batches
FROM ${db}.room_events WHERE ${range("ts")} GROUP BY t ORDER BY t`;

  // Ingestion is read from the raw tables by arrival time (inserted_at); the ts bound lets ClickHouse skip old partitions.
  // The arrival lag (request end to stored) is one p95 over every table's rows of the step, not a mix of per-table p95s.
  const arrivals = INGESTION_TABLES.map(
    (table) => `SELECT '${table}' AS tbl, ${bucket("inserted_at")}, greatest(0, dateDiff('millisecond', ts, inserted_at)) AS lag
FROM ${db}.${table} WHERE ${range("inserted_at")} AND ts >= toDateTime64({from:Int64} / 1000 - 86400, 3)`,
  ).join("\nUNION ALL\n");
  const ingestionSql = `SELECT tbl, t, count() AS n, 0 AS lag FROM (${arrivals}) GROUP BY tbl, t
UNION ALL
SELECT '' AS tbl, t, count() AS n, quantile(0.95)(lag) AS lag FROM (${arrivals}) GROUP BY t`;

  const [requests, queries, rooms, ingestion] = await Promise.all([
    reader.rows<{ t: number; n: string; e: string; q: Array<number | string>; l1: string; l2: string; st: string; mi: string }>(requestsSql, params),
    reader.rows<{ t: number; calls: string; slow: string }>(queriesSql, params),
    reader.rows<{ t: number; messages: string; frames: string; dropped: string; wait95: number | null; batches: string }>(roomsSql, params),
    reader.rows<{ tbl: string; t: number; n: string; lag: number | null }>(ingestionSql, params),
  ]);

  const t: number[] = [];
  for (let s = window.from / 1000; s < window.to / 1000; s += window.stepSeconds) t.push(s);
  const index = new Map(t.map((s, i) => [s, i]));
  const nulls = (): Num[] => t.map(() => null);
  const zeros = (): number[] => t.map(() => 0);

  const out: DashboardSeries = {
    window,
    t,
    requests: { rate: nulls(), count: zeros(), errorRate: nulls(), p50: nulls(), p95: nulls(), p99: nulls(), hitRatio: nulls(), l1: nulls(), l2: nulls(), stale: nulls() },
    queries: { calls: zeros(), slow: zeros() },
    websocket: { messages: zeros(), frames: zeros(), messagesPerFrame: nulls(), queueWaitP95: nulls(), dropRate: nulls() },
    ingestion: { tables: Object.fromEntries(INGESTION_TABLES.map((name) => [name, zeros()])), lagP95: nulls() },
    totals: { requests: 0, slowQueries: 0, messages: 0, ingested: 0 },
  };

  for (const row of requests) {
    const i = index.get(Number(row.t));
    if (i === undefined) continue;
    const n = Number(row.n);
    const [l1, l2, st, mi] = [Number(row.l1), Number(row.l2), Number(row.st), Number(row.mi)];
    const lookups = l1 + l2 + st + mi;
    const r = out.requests;
    r.count[i] = n;
    const elapsed = Math.min(window.stepSeconds, Math.max(1, (window.now - Number(row.t) * 1000) / 1000));
    r.rate[i] = n / elapsed;
    r.errorRate[i] = ratio(Number(row.e), n);
    if (n > 0) [r.p50[i], r.p95[i], r.p99[i]] = [num(row.q[0]), num(row.q[1]), num(row.q[2])];
    r.hitRatio[i] = ratio(l1 + l2 + st, lookups);
    r.l1[i] = ratio(l1, lookups);
    r.l2[i] = ratio(l2, lookups);
    r.stale[i] = ratio(st, lookups);
    out.totals.requests += n;
  }
  for (const row of queries) {
    const i = index.get(Number(row.t));
    if (i === undefined) continue;
    out.queries.calls[i] = Number(row.calls);
    out.queries.slow[i] = Number(row.slow);
    out.totals.slowQueries += Number(row.slow);
  }
  for (const row of rooms) {
    const i = index.get(Number(row.t));
    if (i === undefined) continue;
    const [messages, frames, dropped] = [Number(row.messages), Number(row.frames), Number(row.dropped)];
    const w = out.websocket;
    w.messages[i] = messages;
    w.frames[i] = frames;
    w.messagesPerFrame[i] = ratio(messages, frames);
    w.queueWaitP95[i] = Number(row.batches) > 0 ? num(row.wait95) : null;
    w.dropRate[i] = ratio(dropped, messages + dropped);
    out.totals.messages += messages;
  }
  for (const row of ingestion) {
    const i = index.get(Number(row.t));
    if (i === undefined) continue;
    if (row.tbl === "") {
      out.ingestion.lagP95[i] = num(row.lag);
      continue;
    }
    const series = out.ingestion.tables[row.tbl];
    if (series === undefined) continue;
    series[i] = Number(row.n);
    out.totals.ingested += Number(row.n);
  }
  return out;
}
