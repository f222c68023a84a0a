/**
 * The sink side of the query optimizer's events (shared/db/query-types.ts QueryEvent):
 * functions/analytics.ts hands `queryEventObserver(sink, isolateId)` to the
 * optimizer as its QueryObserver, so every statement becomes a query_events row.
 */
import type { QueryEvent, QueryObserver } from "../db/query-types.ts";
import type { QueryEventRow } from "./event-rows.ts";
import type { EventSink } from "./event-sink.ts";

/** Statements are normalised (no values) but may be long: the row keeps a bounded prefix. */
export const MAX_STATEMENT_CHARS = 4096;

export function queryEventRow(event: QueryEvent, isolateId: string): QueryEventRow {
  return {
    ts: event.at,
    fingerprint: event.fingerprint,
    statement: event.statement.length > MAX_STATEMENT_CHARS ? event.statement.slice(0, MAX_STATEMENT_CHARS) : event.statement,
    kind: event.kind,
    duration_ms: event.durationMs,
    db_ms: event.dbMs,
    rows: event.rows,
    tier: event.tier,
    slow: event.slow,
    error: event.error ?? "",
    request_id: event.requestId ?? "",
    isolate_id: isolateId,
  };
}

/**
 * A QueryObserver that records each event into the sink. It never throws (an observer
 * must not break a query): recording only queues.
 *
 * @example
 * const observe = queryEventObserver(sink, isolateId);
 * observe({ fingerprint: "ab12", statement: "select ...", kind: "read", durationMs: 3, dbMs: 2.5, rows: 1, tier: "miss", slow: false, at: Date.now() });
 */
export function queryEventObserver(sink: Pick<EventSink, "record">, isolateId: string): QueryObserver {
  return (event) => {
    try {
      sink.record("query_events", queryEventRow(event, isolateId));
    } catch {
      // Recording is best effort by contract.
    }
  };
}
