/**
 * What every fault test shares: bounded HTTP calls to the private Worker, a traffic
 * generator that records every answer, the outcome rules (2xx, or a clean 503
 * problem+json; never a hang, never another 5xx), recovery polling, and the metrics
 * pipeline's accounting against what ClickHouse holds.
 */
import { createClient } from "@clickhouse/client-web";
import { expect, inject } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { EVENT_TABLES } from "../../shared/analytics/event-rows.ts";

export const stackInfo = () => inject("faultStack");

/** The client-side bound on every request: an answer later than this is a hang. */
export const CLIENT_TIMEOUT_MS = 12_000;

export interface Answer {
  label: string;
  status: number;
  /** "timeout" or a socket error message; undefined when an HTTP answer arrived. */
  error?: string;
  contentType: string;
  xCache: string | null;
  body: Record<string, unknown> | undefined;
  ms: number;
}

export async function call(path: string, init: { method?: string; body?: unknown; auth?: boolean; label?: string } = {}): Promise<Answer> {
  const { workerUrl, adminKey } = stackInfo();
  const t0 = performance.now();
  const label = init.label ?? `${init.method ?? "GET"} ${path}`;
  try {
    const res = await fetch(`${workerUrl}${path}`, {
      method: init.method ?? "GET",
      headers: {
        ...(init.auth === false ? {} : { authorization: `Bearer ${adminKey}` }),
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await res.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { label, status: res.status, contentType: res.headers.get("content-type") ?? "", xCache: res.headers.get("x-cache"), body, ms: performance.now() - t0 };
  } catch (error) {
    const name = (error as Error).name;
    return { label, status: 0, error: name === "TimeoutError" || name === "AbortError" ? "timeout" : (error as Error).message, contentType: "", xCache: null, body: undefined, ms: performance.now() - t0 };
  }
}

/** /health's per-dependency status ("ok" | "down"), from a /health answer. */
export function healthChecks(a: Answer): Partial<Record<"postgres" | "redis" | "clickhouse" | "rooms", string>> {
  const checks = (a.body?.checks ?? {}) as Record<string, { status?: string }>;
  return Object.fromEntries(Object.entries(checks).map(([name, c]) => [name, c.status]));
}

export const isClean503 = (a: Answer) => a.status === 503 && a.contentType.startsWith("application/problem+json") && typeof a.body?.code === "string";

/** A fault-time answer is acceptable when it is a 2xx or a clean 503 problem+json; never a hang or another 5xx. */
export function unacceptable(answers: readonly Answer[]): Answer[] {
  return answers.filter((a) => !((a.status >= 200 && a.status < 300) || isClean503(a)));
}

export function summarise(answers: readonly Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.label.replace(/\/\d+/g, "/:id")} -> ${a.error ?? a.status}${a.xCache ? `/${a.xCache}` : ""}${a.status === 503 ? `/${String(a.body?.code)}` : ""}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export function expectAcceptable(answers: readonly Answer[]): void {
  const bad = unacceptable(answers);
  expect(bad.map((a) => ({ label: a.label, status: a.status, error: a.error, body: a.body })), JSON.stringify(summarise(answers))).toEqual([]);
}

// ---------------------------------------------------------------- fixtures

let counter = 0;
const unique = () => `${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export async function createUser(): Promise<string> {
  const res = await call("/v1/users", { method: "POST", body: { email: `fault-${unique()}@example.test`, planTier: "free", role: "member" } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return String(res.body!.id);
}

/** Users created before the fault, each read once at most during it: every such read is an L1 miss. */
export async function createUsers(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await createUser());
  return ids;
}

// ---------------------------------------------------------------- traffic

export interface Traffic {
  /** Stops the loops and returns every answer since start (or since the last take()). */
  stop(): Promise<Answer[]>;
  /** The answers so far, cleared. */
  take(): Answer[];
}

export interface TrafficPlan {
  /** Ids read repeatedly (warm: L1 hits while their entry lives). */
  hot: readonly string[];
  /** Ids read once each (misses); the pool is consumed in order. */
  cold: string[];
  /** Ids written (PATCH, audit logs): never the hot ones. */
  written: readonly string[];
  /**
   * "audit-only" leaves users unwritten. A write to users invalidates the users tag, so
   * every cached user (the hot ones too), and so does a failed write whose outcome is
   * unknown (db_unavailable): during a database outage the hot reads then answer 503.
   */
  writes?: "users-and-audit" | "audit-only";
  concurrency?: number;
}

/**
 * `concurrency` loops, each cycling through: a hot read, a cold read, a PATCH, an audit
 * log append. Every request bounded by CLIENT_TIMEOUT_MS.
 */
export function startTraffic(plan: TrafficPlan): Traffic {
  let running = true;
  let answers: Answer[] = [];
  let i = 0;
  const loop = async () => {
    while (running) {
      const k = i++;
      const hot = plan.hot[k % plan.hot.length]!;
      const target = plan.written[k % plan.written.length]!;
      const steps: (() => Promise<Answer>)[] = [
        () => call(`/v1/users/${hot}`, { label: "hot read" }),
        () => {
          const cold = plan.cold.shift();
          return cold === undefined ? call(`/v1/users/${hot}`, { label: "hot read" }) : call(`/v1/users/${cold}`, { label: "cold read" });
        },
        () =>
          plan.writes === "audit-only"
            ? call(`/v1/users/${hot}`, { label: "hot read" })
            : call(`/v1/users/${target}`, { method: "PATCH", body: { displayName: `fault ${k}` }, label: "PATCH user" }),
        () => call("/v1/audit-logs", { method: "POST", body: { userId: target, action: "fault.test", resource: `users/${target}`, metadata: { k } }, label: "POST audit-log" }),
      ];
      for (const step of steps) {
        if (!running) break;
        answers.push(await step());
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = Array.from({ length: plan.concurrency ?? 3 }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return this.take();
    },
    take() {
      const out = answers;
      answers = [];
      return out;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true or `boundMs` passes; returns how long it took (throws past the bound). */
export async function eventually(what: string, probe: () => Promise<boolean>, boundMs = 60_000, intervalMs = 250): Promise<number> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < boundMs) {
    try {
      if (await probe()) return Date.now() - t0;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${boundMs} ms${last ? ` (last error: ${(last as Error).message})` : ""}`);
}

/** Recovered: a fresh miss read, a write and /health all answer 200 (201 for the create). */
export async function expectRecovers(boundMs = 60_000): Promise<number> {
  return eventually("recovery after restart", async () => {
    const created = await call("/v1/users", { method: "POST", body: { email: `fault-${unique()}@example.test`, planTier: "pro", role: "member" } });
    if (created.status !== 201) return false;
    const read = await call(`/v1/users/${String(created.body!.id)}`);
    const health = await call("/health", { auth: false });
    return read.status === 200 && health.status === 200;
  }, boundMs, 500);
}

// ---------------------------------------------------------------- metrics pipeline accounting

export interface TableCounters {
  in: number;
  stored: number;
  dropped: number;
  queued: number;
  failedInserts: number;
}

export interface PipelineStats extends TableCounters {
  isolate: string;
  configured: boolean;
  tables: Record<string, TableCounters>;
}

export async function pipelineStats(): Promise<PipelineStats> {
  const res = await call("/v1/ops/metrics/pipeline");
  expect(res.status).toBe(200);
  return res.body as unknown as PipelineStats;
}

/** What the Worker writes; room_events come from the rooms' own sinks (their Durable Objects' alarms), with their own counters. */
const WORKER_TABLES = EVENT_TABLES.filter((t) => t !== "room_events");

/** Tables whose rows carry the isolate id (the others are written only by this stack's one Worker). */
const ISOLATE_TABLES = new Set(["request_events", "query_events", "cache_events"]);

export async function storedRows(isolate: string, tables: readonly string[]): Promise<Record<string, { rows: number; distinct: number }>> {
  const { cfg } = stackInfo();
  const urls = localUrls(cfg);
  const client = createClient({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD, request_timeout: 10_000 });
  try {
    const out: Record<string, { rows: number; distinct: number }> = {};
    for (const table of tables) {
      const where = ISOLATE_TABLES.has(table) ? "WHERE isolate_id = {isolate:String}" : "";
      // Distinct over every column but inserted_at (set by the server, so a re-sent row differs only there).
      const result = await client.query({
        query: `SELECT toString(count()) AS rows,
                       toString((SELECT count() FROM (SELECT DISTINCT * EXCEPT (inserted_at) FROM ${urls.CLICKHOUSE_DATABASE}.${table} ${where}))) AS distinct
                FROM ${urls.CLICKHOUSE_DATABASE}.${table} ${where}`,
        query_params: { isolate },
        format: "JSONEachRow",
      });
      const [row] = await result.json<{ rows: string; distinct: string }>();
      out[table] = { rows: Number(row?.rows ?? 0), distinct: Number(row?.distinct ?? 0) };
    }
    return out;
  } finally {
    await client.close();
  }
}

export interface Accounting {
  stats: PipelineStats;
  /** Per table: rows in ClickHouse for this isolate, and distinct rows (a row stored twice counts once). */
  stored: Record<string, { rows: number; distinct: number }>;
}

/**
 * The pipeline's invariant, once settled: every event recorded is stored or counted as
 * dropped (or still queued), and ClickHouse holds exactly the events counted stored,
 * each once: an insert that timed out but landed is resent under the same
 * deduplication token, so it leaves no copy.
 */
export function expectNothingLost({ stats, stored }: Accounting): void {
  console.log("[faults] pipeline:", JSON.stringify({ in: stats.in, stored: stats.stored, dropped: stats.dropped, queued: stats.queued, failedInserts: stats.failedInserts, rows: stored }));
  expect(stats.in).toBe(stats.stored + stats.dropped + stats.queued);
  for (const table of WORKER_TABLES) {
    expect(stored[table]?.distinct, table).toBe(stats.tables[table]?.stored ?? 0);
    expect(stored[table]?.rows, `${table}: rows stored more than once`).toBe(stored[table]?.distinct);
  }
}

/**
 * Waits until the isolate's pipeline is settled (nothing in flight: in = stored +
 * dropped + queued, retries done) and what ClickHouse holds for it equals what it
 * counted as stored, table by table. Each poll is a request (recorded, and the moment
 * due batches are sent), spaced past the flush interval; ClickHouse is read between
 * two polls, when no insert is in flight.
 */
export async function settledAccounting(isolate: string, boundMs = 60_000): Promise<Accounting> {
  let last: Accounting | undefined;
  const t0 = Date.now();
  await pipelineStats();
  while (Date.now() - t0 < boundMs) {
    // Past the flush interval: the previous poll sent every due batch, and its insert is done.
    await sleep(2_500);
    const stored = await storedRows(isolate, WORKER_TABLES);
    const stats = await pipelineStats();
    last = { stats, stored };
    const settled = stats.in === stats.stored + stats.dropped + stats.queued;
    // Settled when the distinct rows match; expectNothingLost then also requires no row stored twice.
    const matches = WORKER_TABLES.every((t) => stored[t]?.distinct === (stats.tables[t]?.stored ?? 0));
    if (stats.isolate === isolate && settled && matches) return last;
  }
  throw new Error(`pipeline did not settle within ${boundMs} ms: ${JSON.stringify(last)}`);
}
