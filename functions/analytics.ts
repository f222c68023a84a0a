/**
 * The per-isolate metrics pipeline: one event sink per config (so per isolate in
 * production), flushed from `ctx.waitUntil` at the end of requests, never by a timer
 * (see shared/batching/batch-processor.ts for why). Undefined when ClickHouse is not
 * configured: the API then records nothing and runs as before.
 */
import { clickhouse } from "../shared/analytics/clickhouse-client.ts";
import { clickHouseWriter } from "../shared/analytics/clickhouse-writer.ts";
import { createEventSink, type EventSink } from "../shared/analytics/event-sink.ts";
import { queryEventObserver } from "../shared/analytics/query-events.ts";
import type { AppConfig } from "../shared/config.ts";
import type { QueryObserver } from "../shared/db/query-types.ts";
import { logError } from "./log.ts";

const sinks = new WeakMap<AppConfig, EventSink>();
let isolate: string | undefined;

/** A random id per isolate, made on first use (workerd forbids randomness at global scope). */
export function isolateId(): string {
  isolate ??= crypto.randomUUID();
  return isolate;
}

export function analyticsFor(config: AppConfig): EventSink | undefined {
  if (config.clickhouse.url === undefined) return undefined;
  let sink = sinks.get(config);
  if (sink === undefined) {
    sink = createEventSink({
      writer: clickHouseWriter(clickhouse(config.clickhouse), config.clickhouse.database),
      batch: config.batchProcessor,
      analytics: config.analytics,
      clock: { now: () => Date.now() },
      onDropped: (table, count, error) => logError("metrics events dropped", error, { table, count }),
    });
    sinks.set(config, sink);
  }
  return sink;
}

/**
 * The query optimizer's observer for this config (for the lead to pass to the optimizer);
 * a no-op when ClickHouse is not configured.
 */
export function queryObserverFor(config: AppConfig): QueryObserver {
  const sink = analyticsFor(config);
  return sink === undefined ? () => undefined : queryEventObserver(sink, isolateId());
}
