/**
 * Inserts and new parts in ClickHouse when many isolates run the event sink, by
 * simulation: one isolate's real EventSink (settle() after every request, as the
 * metrics middleware runs it) on a virtual clock, with Poisson request arrivals and
 * a fixed insert round trip, then scaled by the number of isolates (they do not
 * coordinate, so their inserts add up). The server side is a model:
 * - a synchronous insert writes one new part (per table, plus one per rollup it feeds);
 * - with async_insert ClickHouse buffers inserts of all clients per table and writes
 *   one part per flush: at the busy timeout, or earlier when the buffer reaches
 *   async_insert_max_data_size bytes or async_insert_max_query_number inserts.
 * Held against ClickHouse's guidance for synchronous inserts: about one insert per
 * second per table (so about 60 new parts per minute).
 */
import { ASYNC_INSERT } from "../../shared/analytics/clickhouse-writer.ts";
import { createEventSink } from "../../shared/analytics/event-sink.ts";
import type { RequestEventRow } from "../../shared/analytics/event-rows.ts";

export interface ScaleScenario {
  isolates: number;
  totalRequestsPerS: number;
  flushIntervalMs: number;
  /** Insert round trip as an isolate sees it (with wait_for_async_insert=1 it includes the server's wait for the flush). */
  insertRttMs: number;
  asyncInsert: boolean;
}

export interface ScaleResult extends ScaleScenario {
  insertsPerIsolatePerS: number;
  insertsPerS: number;
  eventsPerInsert: number;
  /** New parts per minute in request_events (rollup targets get the same count each). */
  partsPerMin: number;
  /** p99 ms from request end to the insert that carried it being acknowledged. */
  freshnessP99Ms: number;
}

/** The flush triggers the writer's async inserts set (shared/analytics/clickhouse-writer.ts). */
export const ASYNC_MODEL = {
  busyTimeoutMs: ASYNC_INSERT.async_insert_busy_timeout_ms,
  maxDataBytes: Number(ASYNC_INSERT.async_insert_max_data_size),
  maxQueryNumber: ASYNC_INSERT.async_insert_max_query_number,
};
/** Bytes per request_events row as JSONEachRow (measured from event(): about 250). */
const ROW_BYTES = 250;
const SIMULATED_S = 60;

function row(i: number): RequestEventRow {
  return { ts: 0, request_id: `r${i}`, route: "/v1/users/:id", method: "GET", status: 200, duration_ms: 1, cache_tier: "l1", db_ms: 0, response_bytes: 400, isolate_id: "sim", colo: "AMS", country: "NL" };
}

/** A virtual clock with a timer queue: every wait in the sink and the fake writer goes through it. */
class VirtualTime {
  now = 0;
  #timers: Array<{ at: number; resolve: () => void }> = [];
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#timers.push({ at: this.now + ms, resolve });
      this.#timers.sort((a, b) => a.at - b.at);
    });
  }
  /** Runs every timer due up to `until`, letting promise chains settle between them. */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      const next = this.#timers[0];
      if (next === undefined || next.at > until) break;
      this.#timers.shift();
      this.now = next.at;
      next.resolve();
    }
    this.now = until;
  }
}

export async function simulateIsolate(scenario: ScaleScenario, seed = 1): Promise<ScaleResult> {
  const time = new VirtualTime();
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const recordedAt = new Map<string, number>();
  const lags: number[] = [];
  let inserts = 0;
  let events = 0;
  const sink = createEventSink({
    writer: {
      insert: async (_table, rows) => {
        await time.wait(scenario.insertRttMs);
        inserts++;
        events += rows.length;
        for (const r of rows as RequestEventRow[]) lags.push(time.now - recordedAt.get(r.request_id)!);
      },
    },
    batch: { maxBatchSize: 100, flushIntervalMs: scenario.flushIntervalMs },
    analytics: { maxQueueEvents: 10_000, maxBatchBytes: 1 << 20, maxAttempts: 5, retryBaseMs: 200, retryMaxMs: 30_000 },
    clock: { now: () => time.now },
    sleep: (ms) => time.wait(ms),
  });
  const perIsolate = scenario.totalRequestsPerS / scenario.isolates;
  const settles: Promise<void>[] = [];
  let at = 0;
  for (let i = 0; ; i++) {
    at += (-Math.log(1 - random()) / perIsolate) * 1000;
    if (at >= SIMULATED_S * 1000) break;
    await time.advanceTo(at);
    const r = row(i);
    recordedAt.set(r.request_id, time.now);
    sink.record("request_events", r);
    const settling = sink.settle();
    if (settling !== undefined) settles.push(settling);
  }
  await time.advanceTo(SIMULATED_S * 1000 + 60_000);
  await Promise.all(settles);
  const insertsPerIsolatePerS = inserts / SIMULATED_S;
  const insertsPerS = insertsPerIsolatePerS * scenario.isolates;
  const sorted = lags.sort((a, b) => a - b);
  return {
    ...scenario,
    insertsPerIsolatePerS: round(insertsPerIsolatePerS),
    insertsPerS: Math.round(insertsPerS),
    eventsPerInsert: round(events / Math.max(1, inserts)),
    partsPerMin: Math.round(partsPerMinute(scenario, insertsPerS)),
    freshnessP99Ms: Math.round(sorted[Math.floor(0.99 * (sorted.length - 1))] ?? 0),
  };
}

/** New parts per minute in one table (one ClickHouse node): one per insert, or one per async flush. */
export function partsPerMinute(scenario: Pick<ScaleScenario, "asyncInsert" | "totalRequestsPerS">, insertsPerS: number): number {
  if (!scenario.asyncInsert) return insertsPerS * 60;
  const flushesPerS = Math.max(
    1000 / ASYNC_MODEL.busyTimeoutMs,
    (scenario.totalRequestsPerS * ROW_BYTES) / ASYNC_MODEL.maxDataBytes,
    insertsPerS / ASYNC_MODEL.maxQueryNumber,
  );
  return flushesPerS * 60;
}

const round = (n: number) => Math.round(n * 100) / 100;
