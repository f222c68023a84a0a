/**
 * The ops metrics series (`GET /v1/ops/metrics`): parameters validated and bounded,
 * then answered from the request rollups only (the minute, hour or day rollup: the
 * all-routes totals, or the per-route rollup when `route` is given), never from raw
 * events.
 *
 * @example
 * const parsed = parseMetricsQuery({ granularity: "hour", from: "2026-11-01T00:00:00Z" }, Date.now());
 * if (parsed.ok) await metricsSeries(reader, "netra", parsed.query);
 */
import { requestRollupTable } from "./rollup-views.ts";

export type Granularity = "minute" | "hour" | "day";

export interface MetricsQuery {
  granularity: Granularity;
  /** Epoch ms, aligned down to the bucket. */
  from: number;
  /** Epoch ms, exclusive, aligned up to the bucket. */
  to: number;
  route: string | undefined;
}

export interface MetricsPoint {
  t: string;
  count: number;
  errors: number;
  errorRate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** (l1 + l2 + stale) / (those + misses); null when no request used the cache. */
  hitRatio: number | null;
  dbMsAvg: number;
}

export type ParseResult = { ok: true; query: MetricsQuery } | { ok: false; field: string; message: string };

const BUCKET_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Bounded ranges: at most this span per granularity (1440, 744 and 400 points). */
export const MAX_SPAN_MS: Record<Granularity, number> = { minute: 86_400_000, hour: 31 * 86_400_000, day: 400 * 86_400_000 };
const DEFAULT_SPAN_MS: Record<Granularity, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };
const ROUTE = /^\/[\x21-\x7e]{0,255}$|^\(unmatched\)$/;
const KNOWN = new Set(["from", "to", "route", "granularity"]);

/** Epoch ms or an ISO 8601 date-time with a zone, `T` and `Z` in either case (RFC 3339; a plain date is UTC). */
function parseTime(raw: string): number | undefined {
  if (/^\d{1,15}$/.test(raw)) return Number(raw);
  if (!/^\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2}))?$/.test(raw)) return undefined;
  const ms = Date.parse(raw.toUpperCase());
  return Number.isNaN(ms) ? undefined : ms;
}

/** ClickHouse's DateTime (what the rollups are bucketed by) holds 1970-01-01 to 2106-02-07 06:28:15 UTC. */
const MIN_TIME_MS = 0;
const MAX_TIME_MS = 4_294_967_295_000;
const TIME_RANGE = "1970-01-01T00:00:00Z to 2106-02-07T06:28:15Z";

export function parseMetricsQuery(params: Readonly<Record<string, string | undefined>>, now: number): ParseResult {
  for (const name of Object.keys(params)) {
    if (!KNOWN.has(name)) return { ok: false, field: name, message: `unknown parameter "${name}" (expected from, to, route, granularity)` };
  }
  const g = params.granularity ?? "hour";
  if (g !== "minute" && g !== "hour" && g !== "day") return { ok: false, field: "granularity", message: "must be minute, hour or day" };
  const size = BUCKET_MS[g];
  let to = now;
  if (params.to !== undefined) {
    const parsed = parseTime(params.to);
    if (parsed === undefined) return { ok: false, field: "to", message: "must be an ISO 8601 date-time or epoch milliseconds" };
    to = parsed;
  }
  let from = to - DEFAULT_SPAN_MS[g];
  if (params.from !== undefined) {
    const parsed = parseTime(params.from);
    if (parsed === undefined) return { ok: false, field: "from", message: "must be an ISO 8601 date-time or epoch milliseconds" };
    from = parsed;
  }
  if (from >= to) return { ok: false, field: "from", message: "must be before to" };
  // A range ClickHouse cannot hold is the caller's error (400), not a store failure (503).
  if (Math.ceil(to / BUCKET_MS[g]) * BUCKET_MS[g] > MAX_TIME_MS) return { ok: false, field: "to", message: `must lie in ${TIME_RANGE} (its bucket's end too)` };
  if (from < MIN_TIME_MS) {
    return params.from === undefined
      ? { ok: false, field: "to", message: `must leave the default span before it within ${TIME_RANGE}; or give from` }
      : { ok: false, field: "from", message: `must lie in ${TIME_RANGE}` };
  }
  const alignedFrom = Math.floor(from / size) * size;
  const alignedTo = Math.ceil(to / size) * size;
  if (alignedTo - alignedFrom > MAX_SPAN_MS[g]) {
    return { ok: false, field: "from", message: `the range may span at most ${MAX_SPAN_MS[g] / 3_600_000} hours at granularity ${g}` };
  }
  const route = params.route;
  if (route !== undefined && !ROUTE.test(route)) return { ok: false, field: "route", message: "must be a route pattern starting with / (at most 256 characters)" };
  return { ok: true, query: { granularity: g, from: alignedFrom, to: alignedTo, route } };
}

/** Reads rows with bound parameters ({name:Type}); @clickhouse/client-web's query fits. */
export interface ClickHouseReader {
  rows<T>(sql: string, params: Record<string, unknown>): Promise<T[]>;
}

/** One bucket as the series query returns it (ClickHouse JSON: 64-bit sums as strings). */
export interface SeriesRow {
  t: string;
  count: string;
  errors: string;
  q: (number | string)[];
  hits: string;
  lookups: string;
  db: number | string;
}

export async function metricsSeries(reader: ClickHouseReader, database: string, query: MetricsQuery): Promise<MetricsPoint[]> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`invalid ClickHouse database name "${database}"`);
  // One route: its per-route rollup. Every route: the totals, one latency state per bucket.
  const table = requestRollupTable(query.granularity, query.route !== undefined);
  const bucket = query.granularity;
  const routeFilter = query.route === undefined ? "" : " AND route = {route:String}";
  const rows = await reader.rows<SeriesRow>(
    `SELECT toString(toUnixTimestamp(${bucket}) * 1000) AS t,
       sum(requests) AS count, sum(errors) AS errors,
       quantilesTDigestMerge(0.5, 0.95, 0.99)(latency) AS q,
       sum(l1_hits) + sum(l2_hits) + sum(stale_hits) AS hits,
       sum(l1_hits) + sum(l2_hits) + sum(stale_hits) + sum(misses) AS lookups,
       sum(db_ms_sum) AS db
     FROM ${database}.${table}
     WHERE ${bucket} >= toDateTime({from:UInt32}) AND ${bucket} < toDateTime({to:UInt32})${routeFilter}
     GROUP BY t ORDER BY t`,
    { from: Math.floor(query.from / 1000), to: Math.floor(query.to / 1000), ...(query.route === undefined ? {} : { route: query.route }) },
  );
  return rows.map(toMetricsPoint);
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** A point of the series from its bucket's sums; ratios and means rounded to 3 decimals. */
export function toMetricsPoint(row: SeriesRow): MetricsPoint {
  const count = Number(row.count);
  const lookups = Number(row.lookups);
  const q = row.q.map(Number);
  return {
    t: new Date(Number(row.t)).toISOString(),
    count,
    errors: Number(row.errors),
    errorRate: count === 0 ? 0 : round(Number(row.errors) / count),
    p50: count === 0 || q[0] === undefined ? null : round(q[0]),
    p95: count === 0 || q[1] === undefined ? null : round(q[1]),
    p99: count === 0 || q[2] === undefined ? null : round(q[2]),
    hitRatio: lookups === 0 ? null : round(Number(row.hits) / lookups),
    dbMsAvg: count === 0 ? 0 : round(Number(row.db) / count),
  };
}
