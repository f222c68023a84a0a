/**
 * A per-day request rollup beside the minute and hour ones: a 30-day dashboard then
 * merges 30 days x routes latency states instead of 720 hours x routes (t-digest merges
 * are what such a query spends its time on). Fed from raw events like the others; the
 * rollups job backfills it from the rows inserted before it existed.
 */
import type { Migration } from "../../db/migration-types.ts";
import { REQUEST_DAY, createViewStatement } from "../rollup-views.ts";

const SUM = "SimpleAggregateFunction(sum, UInt64)";
const SUM_F = "SimpleAggregateFunction(sum, Float64)";

export const requestRollupDay: Migration = {
  id: "0005_request_rollup_day",
  statements: [
    `CREATE TABLE IF NOT EXISTS {database}.request_rollup_day (
  route LowCardinality(String),
  method LowCardinality(String),
  day DateTime,
  requests ${SUM},
  errors ${SUM},
  client_errors ${SUM},
  duration_ms_sum ${SUM_F},
  latency AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
  l1_hits ${SUM},
  l2_hits ${SUM},
  stale_hits ${SUM},
  misses ${SUM},
  bypass ${SUM},
  db_ms_sum ${SUM_F},
  response_bytes_sum ${SUM}
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (route, method, day)
TTL day + INTERVAL 395 DAY`,
    createViewStatement(REQUEST_DAY),
  ],
};
