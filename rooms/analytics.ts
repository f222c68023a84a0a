/**
 * The room's metrics pipeline: an event sink writing room_events to ClickHouse over
 * HTTP, the same way the Worker writes its events (async inserts where configured).
 * Undefined when CLICKHOUSE_URL is not set. The room's alarm sends what is due
 * (rooms/main-room.ts) and is set again for the sink's next due time (a retry's
 * backoff), so nothing depends on a timer in a room that may hibernate.
 */
import { clickhouse } from "../shared/analytics/clickhouse-client.ts";
import { clickHouseWriter } from "../shared/analytics/clickhouse-writer.ts";
import { createEventSink, type EventSink } from "../shared/analytics/event-sink.ts";
import type { RoomAppConfig } from "../shared/config.ts";

export type RoomAnalytics = Pick<EventSink, "record" | "flush" | "flushDue" | "msUntilDue">;

export function roomAnalytics(config: RoomAppConfig): RoomAnalytics | undefined {
  if (config.clickhouse.url === undefined) return undefined;
  return createEventSink({
    writer: clickHouseWriter(clickhouse(config.clickhouse), config.clickhouse.database, { asyncInsert: config.analytics.asyncInsert }),
    batch: config.batchProcessor,
    analytics: config.analytics,
    clock: { now: () => Date.now() },
    onDropped: (table, count, error) =>
      console.error(JSON.stringify({ level: "error", message: "room metrics events dropped", table, count, error: error instanceof Error ? error.message : String(error) })),
  });
}
