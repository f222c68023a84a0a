/**
 * The metrics alert rules and the dashboard can name. Each is computed from the
 * ClickHouse rollups by a MetricSource; `samples` says how many events the value
 * stands on, so rules can ignore values computed from too little traffic.
 */
export const METRIC_NAMES = [
  "request_rate",
  "error_rate",
  "latency_p50_ms",
  "latency_p95_ms",
  "latency_p99_ms",
  "cache_hit_ratio",
  "slow_queries",
  "ws_drop_rate",
  "ws_queue_wait_ms",
  "ingestion_drops",
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

export interface MetricInfo {
  /** Human label for notifications and the dashboard. */
  label: string;
  /** How a value is printed: ratio as a percentage, ms with a unit, counts as integers. */
  unit: "ratio" | "ms" | "count" | "per_second";
}

export const METRICS: Readonly<Record<MetricName, MetricInfo>> = Object.freeze({
  request_rate: { label: "Request rate", unit: "per_second" },
  error_rate: { label: "Error rate", unit: "ratio" },
  latency_p50_ms: { label: "Latency p50", unit: "ms" },
  latency_p95_ms: { label: "Latency p95", unit: "ms" },
  latency_p99_ms: { label: "Latency p99", unit: "ms" },
  cache_hit_ratio: { label: "Cache hit ratio", unit: "ratio" },
  slow_queries: { label: "Slow queries", unit: "count" },
  ws_drop_rate: { label: "WebSocket drop rate", unit: "ratio" },
  ws_queue_wait_ms: { label: "WebSocket queue wait", unit: "ms" },
  ingestion_drops: { label: "Ingestion drops", unit: "count" },
});

/** A value in its unit, for a human: 0.123 ratio -> "12.3%", 812.4 ms -> "812 ms". */
export function formatMetricValue(metric: MetricName, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "no data";
  switch (METRICS[metric].unit) {
    case "ratio":
      return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
    case "ms":
      return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ms`;
    case "per_second":
      return `${value.toFixed(value >= 10 ? 0 : 2)}/s`;
    case "count":
      return String(Math.round(value));
  }
}

/** One value of a metric over a window. */
export interface MetricSample {
  /** Null when there is nothing to compute it from (no events in the window). */
  value: number | null;
  /** The number of events the value is computed from (requests, lookups, frames...). */
  samples: number;
}

/** One bucket of a metric's series; `t` is the bucket start in epoch ms. */
export interface MetricPoint extends MetricSample {
  t: number;
}

export interface MetricQuery {
  metric: MetricName;
  /** Restrict to one route pattern; all routes when absent. */
  route?: string | undefined;
  from: Date;
  to: Date;
}

/**
 * Where metric values come from: the ClickHouse rollups in production
 * (clickhouse-source.ts), a synthetic series in unit tests.
 */
export interface MetricSource {
  /** The metric over [from, to). */
  sample(query: MetricQuery): Promise<MetricSample>;
  /** The metric per `stepSeconds` bucket over [from, to), oldest first; empty buckets may be absent. */
  series(query: MetricQuery & { stepSeconds: number }): Promise<MetricPoint[]>;
}
