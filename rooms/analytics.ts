/**
 * The rooms' metrics pipeline: one event sink per config (so per PartyKit isolate,
 * shared by its rooms) writing room_events to ClickHouse over HTTP, the same way the
 * Worker writes its events. Undefined when CLICKHOUSE_URL is not set for the rooms.
 *
 * Unlike a Worker isolate, a room keeps its timers while it has connections, so rows
 * left queued by a failed insert are retried by a timer here instead of waiting for
 * the next emit (which may never come once the last connection has gone).
 */
import { clickhouse } from "../shared/analytics/clickhouse-client.ts";
import { clickHouseWriter } from "../shared/analytics/clickhouse-writer.ts";
import { createEventSink, type EventSink } from "../shared/analytics/event-sink.ts";
import type { RoomAppConfig } from "../shared/config.ts";

const sinks = new WeakMap<RoomAppConfig, Pick<EventSink, "record" | "flush" | "stats">>();

export function roomAnalytics(config: RoomAppConfig): Pick<EventSink, "record" | "flush" | "stats"> | undefined {
  if (config.clickhouse.url === undefined) return undefined;
  let wrapped = sinks.get(config);
  if (wrapped !== undefined) return wrapped;
  const sink = createEventSink({
    writer: clickHouseWriter(clickhouse(config.clickhouse), config.clickhouse.database),
    batch: config.batchProcessor,
    analytics: config.analytics,
    clock: { now: () => Date.now() },
    onDropped: (table, count, error) =>
      console.error(JSON.stringify({ level: "error", message: "room metrics events dropped", table, count, error: error instanceof Error ? error.message : String(error) })),
  });
  let retry: ReturnType<typeof setTimeout> | undefined;
  const flush = async (): Promise<void> => {
    await sink.flush();
    if (sink.stats().queued === 0 || retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      void flush();
    }, config.analytics.retryBaseMs);
  };
  wrapped = { record: sink.record, flush, stats: sink.stats };
  sinks.set(config, wrapped);
  return wrapped;
}
