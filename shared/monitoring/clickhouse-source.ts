/**
 * Metric values from ClickHouse, read from the rollups written by the metrics
 * pipeline (shared/analytics/migrations/0003_rollups.ts):
 * - request metrics (rate, errors, latency quantiles, cache hit ratio) from the
 *   minute request rollup, or the hourly one for hour-wide buckets: the all-routes
 *   totals (request_total_*) unless the rule names a route (request_rollup_*);
 * - slow queries from query_rollup_hour for hour-wide buckets;
 * - WebSocket drops and queue wait from room_rollup_hour for hour-wide buckets.
 * Query and room rollups exist only per hour, so windows shorter than an hour
 * (a 5-minute alert) read the raw query_events / room_events for that window
 * (daily partitions bound the scan). Ingestion drops are not stored in
 * ClickHouse at all (a dropped event never arrives), so that metric reports
 * no data here: ingestion-drops.ts reads it from Redis (from-config.ts combines both).
 *
 * @example
 * const source = clickHouseMetricSource(clickHouseReader(clickhouse(config.clickhouse)), config.clickhouse.database);
 * await source.sample({ metric: "latency_p95_ms", from, to });
 */
import type { ClickHouseReader } from "../analytics/ops-metrics.ts";
import { requestRollupTable } from "../analytics/rollup-views.ts";
import type { MetricName, MetricPoint, MetricQuery, MetricSample, MetricSource } from "./metrics.ts";

/** The one thing the source needs from ClickHouse: rows of a parameterised SELECT (the ops metrics' reader). */
export type { ClickHouseReader };

/** A reader over @clickhouse/client-web (or anything with its `query` shape). */
export function clickHouseReader(client: {
  query(params: { query: string; query_params: Record<string, unknown>; format: "JSONEachRow" }): Promise<{ json<T>(): Promise<T[] | unknown> }>;
}): ClickHouseReader {
  return {
    async rows<T>(query: string, params: Record<string, unknown>) {
      const result = await client.query({ query, query_params: params, format: "JSONEachRow" });
      return (await result.json<T>()) as T[];
    },
  };
}

interface Grain {
  table: string;
  bucket: string;
  timeFilter: "bucket" | "ts";
}

interface Family {
  /** Table and bucket column per grain. */
  minute: Grain;
  hour: Grain;
  /** Set when the family can be filtered by route. */
  routeColumn: string | undefined;
  /** The table a query for one route reads instead (the family's own tables hold every route). */
  byRoute?: { minute: Grain; hour: Grain };
}

const requestGrain = (grain: "minute" | "hour", byRoute: boolean): Grain => ({ table: requestRollupTable(grain, byRoute), bucket: grain, timeFilter: "bucket" });
const REQUESTS: Family = {
  minute: requestGrain("minute", false),
  hour: requestGrain("hour", false),
  routeColumn: "route",
  byRoute: { minute: requestGrain("minute", true), hour: requestGrain("hour", true) },
};
const QUERIES: Family = {
  minute: { table: "query_events", bucket: "ts", timeFilter: "ts" },
  hour: { table: "query_rollup_hour", bucket: "hour", timeFilter: "bucket" },
  routeColumn: undefined,
};
const ROOMS: Family = {
  minute: { table: "room_events", bucket: "ts", timeFilter: "ts" },
  hour: { table: "room_rollup_hour", bucket: "hour", timeFilter: "bucket" },
  routeColumn: undefined,
};

interface MetricSql {
  family: Family;
  /** value and samples over the rows of one bucket; `{seconds:Float64}` is the bucket width. */
  minute: { value: string; samples: string };
  hour: { value: string; samples: string };
}

const hits = "(sum(l1_hits) + sum(l2_hits) + sum(stale_hits))";
const lookups = `(${hits} + sum(misses))`;
const requestQuantile = (index: number) => ({ value: `if(sum(requests) = 0, NULL, quantilesTDigestMerge(0.5, 0.95, 0.99)(latency)[${index}])`, samples: "sum(requests)" });
const same = (sql: { value: string; samples: string }) => ({ minute: sql, hour: sql });

const METRIC_SQL: Partial<Record<MetricName, MetricSql>> = {
  request_rate: { family: REQUESTS, ...same({ value: "sum(requests) / {seconds:Float64}", samples: "sum(requests)" }) },
  error_rate: { family: REQUESTS, ...same({ value: "if(sum(requests) = 0, NULL, sum(errors) / sum(requests))", samples: "sum(requests)" }) },
  latency_p50_ms: { family: REQUESTS, ...same(requestQuantile(1)) },
  latency_p95_ms: { family: REQUESTS, ...same(requestQuantile(2)) },
  latency_p99_ms: { family: REQUESTS, ...same(requestQuantile(3)) },
  cache_hit_ratio: { family: REQUESTS, ...same({ value: `if(${lookups} = 0, NULL, ${hits} / ${lookups})`, samples: lookups }) },
  slow_queries: {
    family: QUERIES,
    minute: { value: "toFloat64(countIf(slow))", samples: "count()" },
    hour: { value: "toFloat64(sum(slow))", samples: "sum(calls)" },
  },
  ws_drop_rate: {
    family: ROOMS,
    minute: {
      value: "if(sumIf(batch_size, kind = 'flush') + sum(dropped) = 0, NULL, sum(dropped) / (sumIf(batch_size, kind = 'flush') + sum(dropped)))",
      samples: "sumIf(batch_size, kind = 'flush') + sum(dropped)",
    },
    hour: { value: "if(sum(batch_size_sum) + sum(dropped) = 0, NULL, sum(dropped) / (sum(batch_size_sum) + sum(dropped)))", samples: "sum(batch_size_sum) + sum(dropped)" },
  },
  ws_queue_wait_ms: {
    family: ROOMS,
    minute: { value: "if(countIf(kind = 'flush') = 0, NULL, quantileTDigestIf(0.95)(queue_wait_ms, kind = 'flush'))", samples: "countIf(kind = 'flush')" },
    hour: { value: "if(sum(batches) = 0, NULL, quantilesTDigestMerge(0.5, 0.95, 0.99)(queue_wait)[2])", samples: "sum(batches)" },
  },
};

/** Metrics this source cannot compute (no table holds them); they read as no data here (see ingestion-drops.ts). */
export const UNAVAILABLE_METRICS: readonly MetricName[] = ["ingestion_drops"];

const HOUR = 3600;

function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier "${name}"`);
  return name;
}

interface Row {
  t?: string | number;
  value: number | string | null;
  samples: number | string | null;
}

/** Hour-wide buckets read the hourly rollup; anything finer reads the minute grain. */
function grainFor(stepSeconds: number, from: Date, to: Date): "minute" | "hour" {
  const aligned = (d: Date) => d.getTime() % (HOUR * 1000) === 0;
  return stepSeconds % HOUR === 0 && aligned(from) && aligned(to) ? "hour" : "minute";
}

export function clickHouseMetricSource(reader: ClickHouseReader, database: string): MetricSource {
  const db = identifier(database);

  function build(query: MetricQuery, stepSeconds: number | undefined) {
    const sql = METRIC_SQL[query.metric];
    if (sql === undefined) return undefined;
    const grain = grainFor(stepSeconds ?? (query.to.getTime() - query.from.getTime()) / 1000, query.from, query.to);
    const oneRoute = query.route !== undefined && sql.family.routeColumn !== undefined;
    const table = oneRoute ? (sql.family.byRoute ?? sql.family)[grain] : sql.family[grain];
    const expr = sql[grain];
    const time = table.timeFilter === "bucket" ? table.bucket : "ts";
    const where = [`${time} >= toDateTime64({from:Int64} / 1000, 3)`, `${time} < toDateTime64({to:Int64} / 1000, 3)`];
    if (oneRoute) where.push(`${sql.family.routeColumn} = {route:String}`);
    const bucket = stepSeconds === undefined ? "" : `toUnixTimestamp(toStartOfInterval(${table.bucket}, INTERVAL {step:UInt32} SECOND)) * 1000 AS t, `;
    const text = `SELECT ${bucket}${expr.value} AS value, ${expr.samples} AS samples
FROM ${db}.${table.table}
WHERE ${where.join(" AND ")}${stepSeconds === undefined ? "" : "\nGROUP BY t ORDER BY t"}`;
    const params: Record<string, unknown> = {
      from: query.from.getTime(),
      to: query.to.getTime(),
      seconds: stepSeconds ?? (query.to.getTime() - query.from.getTime()) / 1000,
      route: query.route ?? "",
      step: stepSeconds ?? 0,
    };
    return { text, params };
  }

  const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));

  return {
    async sample(query): Promise<MetricSample> {
      const built = build(query, undefined);
      if (built === undefined) return { value: null, samples: 0 };
      const [row] = await reader.rows<Row>(built.text, built.params);
      return { value: num(row?.value), samples: num(row?.samples) ?? 0 };
    },
    async series(query): Promise<MetricPoint[]> {
      const built = build(query, query.stepSeconds);
      if (built === undefined) return [];
      const rows = await reader.rows<Row>(built.text, built.params);
      return rows.map((row) => ({ t: Number(row.t), value: num(row.value), samples: num(row.samples) ?? 0 }));
    },
  };
}
