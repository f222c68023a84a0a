/**
 * Six hours of synthetic but plausible traffic for the dashboard tests, written
 * straight into a throwaway ClickHouse database (the pipeline's schema, so the
 * materialized views fill the rollups exactly as in production):
 * - requests every minute on four routes, with a latency spike 2.5 h ago and an
 *   error burst in the last five minutes (so an alert fires);
 * - queries with a few slow ones;
 * - WebSocket room traffic only between 6 h and 2 h ago, so the 1h range shows
 *   it empty and the 6h range does not.
 * Arrival (inserted_at) is ts plus a small lag, like the batched pipeline.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";

const MINUTES = 360;

export async function seedDashboardData(client: ClickHouseClient, database: string, now: number): Promise<void> {
  const start = Math.floor(now / 60_000) * 60 - MINUTES * 60;
  const h = "cityHash64(number)";
  await client.command({
    query: `INSERT INTO ${database}.request_events (ts, request_id, route, method, status, duration_ms, cache_tier, db_ms, response_bytes, isolate_id, colo, country, inserted_at)
SELECT ts, toString(number), route, 'GET', status, duration, tier, duration * 0.4, 900, 'iso-' || toString(number % 3), 'AMS', 'NL', ts + toIntervalMillisecond(50 + ${h} % 400)
FROM (
  SELECT number, intDiv(number, 70) AS minute,
    toDateTime64(${start} + minute * 60 + (number % 70) * 60 / 70, 3) AS ts,
    ['/v1/users/:id', '/v1/users', '/v1/audit-logs', '/v1/agent-states/:id'][1 + ${h} % 4] AS route,
    if((minute >= ${MINUTES - 5} AND ${h} % 10 = 0) OR ${h} % 97 = 0, 500, if(${h} % 53 = 0, 404, 200)) AS status,
    (12 + pow((${h} % 1000) / 1000, 3) * 180 + (${h} % 7)) * if(minute BETWEEN 200 AND 225, 2.6, 1) * if(minute >= ${MINUTES - 5}, 2.2, 1) AS duration,
    multiIf(${h} % 100 < 58 + 8 * sin(minute / 40), 'l1', ${h} % 100 < 84, 'l2', ${h} % 100 < 87, 'stale', ${h} % 100 < 96, 'miss', 'bypass') AS tier
  FROM numbers(${MINUTES * 70})
)
-- A daily-looking swell in traffic: drop part of each minute's requests, more at the start.
WHERE (cityHash64(number, 1) % 100) < 55 + 35 * sin(minute / 70)`,
  });
  await client.command({
    query: `INSERT INTO ${database}.query_events (ts, fingerprint, statement, kind, duration_ms, db_ms, rows, tier, slow, error, request_id, isolate_id, inserted_at)
SELECT ts, 'fp' || toString(${h} % 6), 'SELECT * FROM users WHERE id = $1', 'select', d, d, 1, 'miss', d > 1000, '', '', 'iso-1', ts + toIntervalMillisecond(80)
FROM (
  SELECT number, toDateTime64(${start} + intDiv(number, 12) * 60 + (number % 12) * 5, 3) AS ts,
    if(${h} % 45 = 0 OR (intDiv(number, 12) BETWEEN 200 AND 225 AND ${h} % 6 = 0), 1200 + ${h} % 800, 2 + ${h} % 40) AS d
  FROM numbers(${MINUTES * 12})
)`,
  });
  await client.command({
    query: `INSERT INTO ${database}.room_events (ts, party, room, kind, connections, frames, batch_size, queue_wait_ms, dropped, inserted_at)
SELECT ts, 'main', 'room-' || toString(${h} % 5), if(${h} % 60 = 0, 'drop', 'flush'), 20 + ${h} % 30,
  if(${h} % 60 = 0, 0, 1 + ${h} % 3), if(${h} % 60 = 0, 0, 4 + ${h} % 14), if(${h} % 60 = 0, 0, 5 + (${h} % 1000) / 12), if(${h} % 60 = 0, 3, 0),
  ts + toIntervalMillisecond(120)
FROM (SELECT number, toDateTime64(${start} + intDiv(number, 20) * 60 + (number % 20) * 3, 3) AS ts FROM numbers(240 * 20))`,
  });
}
