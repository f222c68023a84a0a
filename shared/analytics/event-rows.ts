/**
 * The rows of the raw event tables (migrations 0001 and 0002), as inserted with
 * JSONEachRow. `ts` is epoch milliseconds: ClickHouse reads an integer into a
 * DateTime64(3) as ticks of that scale, with no time-zone or text parsing involved.
 */

export interface RequestEventRow {
  ts: number;
  request_id: string;
  /** The route pattern (`/v1/users/:id`), never the raw path: bounded cardinality. */
  route: string;
  method: string;
  status: number;
  duration_ms: number;
  /** From the response's `x-cache` header: l1, l2, stale, miss, bypass, or "" when none. */
  cache_tier: string;
  /** The `db;dur=` entry of `server-timing`, 0 when absent. */
  db_ms: number;
  response_bytes: number;
  isolate_id: string;
  colo: string;
  country: string;
}

export interface QueryEventRow {
  ts: number;
  fingerprint: string;
  statement: string;
  kind: string;
  duration_ms: number;
  db_ms: number;
  rows: number;
  tier: string;
  slow: boolean;
  error: string;
  request_id: string;
  isolate_id: string;
}

export interface CacheEventRow {
  ts: number;
  tier: string;
  hits: number;
  misses: number;
  evictions: number;
  sets: number;
  isolate_id: string;
}

export type RoomEventKind = "connect" | "disconnect" | "flush" | "drop";

export interface RoomEventRow {
  ts: number;
  party: string;
  room: string;
  kind: RoomEventKind;
  /** Connections open in the room after this event. */
  connections: number;
  /** Frames sent (a flush) or dropped (a drop). */
  frames: number;
  batch_size: number;
  queue_wait_ms: number;
  dropped: number;
}

export interface AuditEventRow {
  ts: number;
  audit_id: number;
  /** 0 for system actions (user_id NULL in Postgres). */
  user_id: number;
  action: string;
  resource: string;
}

/** Raw table -> its row type. */
export interface EventTables {
  request_events: RequestEventRow;
  query_events: QueryEventRow;
  cache_events: CacheEventRow;
  room_events: RoomEventRow;
  audit_events: AuditEventRow;
}

export type EventTable = keyof EventTables;

export const EVENT_TABLES: readonly EventTable[] = ["request_events", "query_events", "cache_events", "room_events", "audit_events"];
