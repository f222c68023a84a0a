/**
 * Every rollup: a materialized view from a raw event table into an aggregating table.
 * One definition serves the migration (CREATE MATERIALIZED VIEW ... AS SELECT) and the
 * rollups job (the same SELECT with a WHERE, to backfill history the view never saw and
 * to compare a closed window against raw data), so the two can never disagree.
 *
 * `{database}` is replaced with the configured database, as in the migrations.
 *
 * A view's definition is part of the migration that created it (checksummed): never
 * edit one; change a rollup with a new migration and a new view.
 */

/** How a rollup buckets time; also how its partitions are named (day: YYYYMMDD, month: YYYYMM). */
export interface RollupView {
  /** The materialized view's name; also the watermark key. */
  name: string;
  source: string;
  target: string;
  /** The time bucket column of the target. */
  bucket: string;
  /** The bucket expression over the source's `ts`. */
  bucketExpr: string;
  /** Columns of the SELECT, in the target's order. */
  select: string;
  groupBy: string;
  /** Key columns, for the consistency check (compared per key and bucket). */
  keys: readonly string[];
  /** Which target column counts source rows (compared exactly with count() on raw). */
  countColumn: string;
  /** Optional row filter of the view (applied to raw too when checking). */
  where?: string;
}

const CACHE_TIERS = `
  countIf(cache_tier = 'l1') AS l1_hits,
  countIf(cache_tier = 'l2') AS l2_hits,
  countIf(cache_tier = 'stale') AS stale_hits,
  countIf(cache_tier = 'miss') AS misses,
  countIf(cache_tier = 'bypass') AS bypass`;

const requestSelect = (bucketExpr: string, bucket: string, keys = "route, method, ") => `
  ${keys}${bucketExpr} AS ${bucket},
  count() AS requests,
  countIf(status >= 500) AS errors,
  countIf(status >= 400 AND status < 500) AS client_errors,
  sum(duration_ms) AS duration_ms_sum,
  quantilesTDigestState(0.5, 0.95, 0.99)(duration_ms) AS latency,${CACHE_TIERS},
  sum(db_ms) AS db_ms_sum,
  sum(toUInt64(response_bytes)) AS response_bytes_sum`;

export const REQUEST_MINUTE: RollupView = {
  name: "request_rollup_minute_mv",
  source: "request_events",
  target: "request_rollup_minute",
  bucket: "minute",
  bucketExpr: "toStartOfMinute(ts)",
  select: requestSelect("toStartOfMinute(ts)", "minute"),
  groupBy: "route, method, minute",
  keys: ["route", "method"],
  countColumn: "requests",
};

export const REQUEST_HOUR: RollupView = {
  ...REQUEST_MINUTE,
  name: "request_rollup_hour_mv",
  target: "request_rollup_hour",
  bucket: "hour",
  bucketExpr: "toStartOfHour(ts)",
  select: requestSelect("toStartOfHour(ts)", "hour"),
  groupBy: "route, method, hour",
};

/** Added by 0005: the 30-day dashboard's source. */
export const REQUEST_DAY: RollupView = {
  ...REQUEST_MINUTE,
  name: "request_rollup_day_mv",
  target: "request_rollup_day",
  bucket: "day",
  bucketExpr: "toStartOfDay(ts)",
  select: requestSelect("toStartOfDay(ts)", "day"),
  groupBy: "route, method, day",
};

/**
 * Added by 0006: every route in one row per bucket, what the all-routes series read
 * (the ops metrics API, the dashboard, alerts without a route). Merging latency
 * states is what those queries spend their time on, and this is one state per
 * bucket instead of one per route and method.
 */
export const REQUEST_TOTAL_MINUTE: RollupView = {
  ...REQUEST_MINUTE,
  name: "request_total_minute_mv",
  target: "request_total_minute",
  select: requestSelect("toStartOfMinute(ts)", "minute", ""),
  groupBy: "minute",
  keys: [],
};

export const REQUEST_TOTAL_HOUR: RollupView = {
  ...REQUEST_HOUR,
  name: "request_total_hour_mv",
  target: "request_total_hour",
  select: requestSelect("toStartOfHour(ts)", "hour", ""),
  groupBy: "hour",
  keys: [],
};

export const REQUEST_TOTAL_DAY: RollupView = {
  ...REQUEST_DAY,
  name: "request_total_day_mv",
  target: "request_total_day",
  select: requestSelect("toStartOfDay(ts)", "day", ""),
  groupBy: "day",
  keys: [],
};

export type RequestGrain = "minute" | "hour" | "day";

const REQUEST_ROLLUPS: Record<RequestGrain, { byRoute: RollupView; total: RollupView }> = {
  minute: { byRoute: REQUEST_MINUTE, total: REQUEST_TOTAL_MINUTE },
  hour: { byRoute: REQUEST_HOUR, total: REQUEST_TOTAL_HOUR },
  day: { byRoute: REQUEST_DAY, total: REQUEST_TOTAL_DAY },
};

/**
 * The request rollup a read should use: per route when it filters by route, else the
 * all-routes totals. Both have the same columns but route and method; the bucket
 * column is named after the grain.
 */
export function requestRollupTable(grain: RequestGrain, byRoute: boolean): string {
  const pair = REQUEST_ROLLUPS[grain];
  return (byRoute ? pair.byRoute : pair.total).target;
}

export const QUERY_HOUR: RollupView = {
  name: "query_rollup_hour_mv",
  source: "query_events",
  target: "query_rollup_hour",
  bucket: "hour",
  bucketExpr: "toStartOfHour(ts)",
  select: `
  fingerprint, toStartOfHour(ts) AS hour,
  any(kind) AS kind,
  any(statement) AS statement,
  count() AS calls,
  countIf(error != '') AS errors,
  countIf(slow) AS slow,
  sum(toUInt64(rows)) AS rows_sum,
  sum(duration_ms) AS duration_ms_sum,
  sum(db_ms) AS db_ms_sum,
  quantilesTDigestState(0.5, 0.95, 0.99)(duration_ms) AS latency,
  countIf(tier = 'l1') AS l1_hits,
  countIf(tier = 'l2') AS l2_hits,
  countIf(tier = 'stale') AS stale_hits,
  countIf(tier = 'miss') AS misses,
  countIf(tier = 'bypass') AS bypass`,
  groupBy: "fingerprint, hour",
  keys: ["fingerprint"],
  countColumn: "calls",
};

export const USER_ACTIVITY_DAY: RollupView = {
  name: "user_activity_day_mv",
  source: "audit_events",
  target: "user_activity_day",
  bucket: "day",
  bucketExpr: "toDate(ts)",
  select: `
  toDate(ts) AS day, user_id,
  count() AS events,
  uniqState(action) AS distinct_actions,
  min(ts) AS first_at,
  max(ts) AS last_at`,
  groupBy: "day, user_id",
  keys: ["user_id"],
  countColumn: "events",
};

export const ROOM_HOUR: RollupView = {
  name: "room_rollup_hour_mv",
  source: "room_events",
  target: "room_rollup_hour",
  bucket: "hour",
  bucketExpr: "toStartOfHour(ts)",
  select: `
  party, room, toStartOfHour(ts) AS hour,
  count() AS events,
  countIf(kind = 'connect') AS connects,
  countIf(kind = 'disconnect') AS disconnects,
  max(connections) AS max_connections,
  sum(toUInt64(frames)) AS frames,
  countIf(kind = 'flush') AS batches,
  sum(toUInt64(batch_size)) AS batch_size_sum,
  quantilesTDigestStateIf(0.5, 0.95, 0.99)(queue_wait_ms, kind = 'flush') AS queue_wait,
  sum(toUInt64(dropped)) AS dropped`,
  groupBy: "party, room, hour",
  keys: ["party", "room"],
  countColumn: "events",
};

export const CACHE_HOUR: RollupView = {
  name: "cache_rollup_hour_mv",
  source: "cache_events",
  target: "cache_rollup_hour",
  bucket: "hour",
  bucketExpr: "toStartOfHour(ts)",
  select: `
  tier, toStartOfHour(ts) AS hour,
  count() AS samples,
  sum(hits) AS hits,
  sum(misses) AS misses,
  sum(evictions) AS evictions,
  sum(sets) AS sets`,
  groupBy: "tier, hour",
  keys: ["tier"],
  countColumn: "samples",
};

export const ROLLUP_VIEWS: readonly RollupView[] = [
  REQUEST_MINUTE, REQUEST_HOUR, REQUEST_DAY, REQUEST_TOTAL_MINUTE, REQUEST_TOTAL_HOUR, REQUEST_TOTAL_DAY,
  QUERY_HOUR, USER_ACTIVITY_DAY, ROOM_HOUR, CACHE_HOUR,
];

/** The aggregation as a SELECT over the raw table, optionally restricted (backfill, checks). */
export function rollupSelect(view: RollupView, database: string, where?: string): string {
  const filters = [view.where, where].filter((f): f is string => f !== undefined && f !== "");
  const whereClause = filters.length > 0 ? `\nWHERE ${filters.map((f) => `(${f})`).join(" AND ")}` : "";
  return `SELECT${view.select}\nFROM ${database}.${view.source}${whereClause}\nGROUP BY ${view.groupBy}`;
}

/** The CREATE MATERIALIZED VIEW statement (idempotent). */
export function createViewStatement(view: RollupView, database = "{database}"): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${view.name} TO ${database}.${view.target} AS\n${rollupSelect(view, database)}`;
}
