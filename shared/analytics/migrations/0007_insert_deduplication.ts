/**
 * Exactly-once inserts from the event sink. A batch whose insert timed out may have
 * been stored all the same; the sink resends it under the same
 * insert_deduplication_token, and ClickHouse skips a block whose token it has seen in
 * the table's deduplication window. Replicated and Cloud tables keep such a window by
 * default; a plain MergeTree keeps none until non_replicated_deduplication_window is set.
 * The rollup targets need it too: a deduplicated raw block is still pushed through the
 * materialized views, and only a window on each target drops it there
 * (deduplicate_blocks_in_dependent_materialized_views, on by default, derives the
 * target's token from the source's).
 *
 * The window counts blocks (one per insert per table): 10,000 covers the retry horizon
 * (seconds to a minute) at hundreds of inserts per second across isolates. The list is
 * written out, not derived from the views, so this migration's checksum never changes;
 * a rollup added later sets its own window in its migration.
 */
import type { Migration } from "../../db/migration-types.ts";

const WINDOW = 10_000;

const TABLES = [
  "request_events",
  "query_events",
  "cache_events",
  "room_events",
  "audit_events",
  "request_rollup_minute",
  "request_rollup_hour",
  "request_rollup_day",
  "request_total_minute",
  "request_total_hour",
  "request_total_day",
  "query_rollup_hour",
  "user_activity_day",
  "room_rollup_hour",
  "cache_rollup_hour",
] as const;

export const insertDeduplication: Migration = {
  id: "0007_insert_deduplication",
  statements: TABLES.map((table) => `ALTER TABLE {database}.${table} MODIFY SETTING non_replicated_deduplication_window = ${WINDOW}`),
};
