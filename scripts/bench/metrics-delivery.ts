/**
 * End-to-end delivery of request events through a real `wrangler dev` into the local
 * ClickHouse: how soon a lone request's row is visible (freshness), and whether rows
 * survive the dev server being stopped (SIGINT) or its isolate being replaced (reload)
 * right after the last response. Used by `npm run bench -- metrics` and by
 * test/e2e/metrics-delivery.test.ts, so the figure and the test measure the same thing.
 *
 * Every request carries its own `X-Request-Id`, which the metrics middleware stores as
 * `request_id`; rows are found by it.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { offlineEnv, repoRoot, waitForHttp, type DevServer } from "../lib/dev-servers.ts";

/** No route: answered 404 without Postgres, Redis or ClickHouse, so only the metrics path is measured. */
const ROUTE = "/__metrics-delivery-probe";

export interface DeliveryTarget {
  client: ClickHouseClient;
  database: string;
}

/** Rows stored for these request ids, by id (a value above 1 is a duplicate). */
export async function storedCounts(target: DeliveryTarget, ids: readonly string[]): Promise<Map<string, number>> {
  const result = await target.client.query({
    query: `SELECT request_id, count() AS n FROM ${target.database}.request_events WHERE request_id IN {ids:Array(String)} GROUP BY request_id`,
    query_params: { ids },
    format: "JSONEachRow",
  });
  const rows = await result.json<{ request_id: string; n: string | number }>();
  return new Map(rows.map((row) => [row.request_id, Number(row.n)]));
}

async function request(server: DevServer, id: string): Promise<number> {
  const res = await fetch(`${server.url}${ROUTE}`, { headers: { "x-request-id": id } });
  await res.arrayBuffer();
  if (res.headers.get("x-request-id") !== id) throw new Error(`${ROUTE} did not keep the request id (status ${res.status})`);
  return performance.now();
}

/** Polls until the row is visible; ms from the end of the response, or undefined after `timeoutMs`. */
async function visibleAfter(target: DeliveryTarget, id: string, endedAt: number, timeoutMs: number, pollMs: number): Promise<number | undefined> {
  while (performance.now() - endedAt < timeoutMs) {
    if ((await storedCounts(target, [id])).get(id) !== undefined) return performance.now() - endedAt;
    await sleep(pollMs);
  }
  return undefined;
}

export interface FreshnessResult {
  /** ms from response end to row visible, one per request; Infinity for a row never seen. */
  lagsMs: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * `requests` single requests `spacingMs` apart, nothing else in between: each row must
 * arrive with no later request to carry it. Poll interval bounds the resolution.
 */
export async function measureFreshness(
  server: DevServer,
  target: DeliveryTarget,
  { requests, spacingMs, pollMs = 10, timeoutMs = 10_000, runId }: { requests: number; spacingMs: number; pollMs?: number; timeoutMs?: number; runId: string },
): Promise<FreshnessResult> {
  const lagsMs: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const id = `fresh-${runId}-${i}`;
    const endedAt = await request(server, id);
    lagsMs.push((await visibleAfter(target, id, endedAt, timeoutMs, pollMs)) ?? Number.POSITIVE_INFINITY);
    const rest = spacingMs - (performance.now() - started);
    if (rest > 0 && i < requests - 1) await sleep(rest);
  }
  const sorted = [...lagsMs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { lagsMs, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1)! };
}

export interface StrandedResult {
  sent: number;
  stored: number;
  /** Events with no row. */
  missing: number;
  /** Events stored more than once. */
  duplicated: number;
}

/**
 * `n` requests (`concurrency` at a time), then `interrupt` at once after the last
 * response (SIGINT to wrangler dev, or a reload), then counts the rows after
 * `settleMs` (inserts already sent finish on the ClickHouse side).
 */
export async function measureStranded(
  server: DevServer,
  target: DeliveryTarget,
  { n, concurrency = 4, runId, interrupt, settleMs = 3000 }: { n: number; concurrency?: number; runId: string; interrupt: () => Promise<void>; settleMs?: number },
): Promise<StrandedResult> {
  const ids = Array.from({ length: n }, (_, i) => `stranded-${runId}-${i}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) await request(server, ids[next++]!);
    }),
  );
  await interrupt();
  await sleep(settleMs);
  const counts = await storedCounts(target, ids);
  let stored = 0;
  let duplicated = 0;
  for (const count of counts.values()) {
    stored += 1;
    if (count > 1) duplicated += 1;
  }
  return { sent: n, stored, missing: n - stored, duplicated };
}

/** How `npm run dev` is stopped: Ctrl-C in its terminal (SIGINT to the whole foreground process group), or SIGINT to the dev process alone. */
export type DevInterrupt = "ctrl-c" | "sigint-dev-process";

export interface UserDev extends DevServer {
  /** Sends the interrupt and resolves with the exit code once the dev process (and so everything it started) is gone. */
  interrupt(how: DevInterrupt): Promise<number | null>;
}

/**
 * The dev stack as a user runs it: `npm run dev` (for Ctrl-C) or its process
 * `node --import tsx scripts/dev.ts` (for SIGINT to that process alone), in a process
 * group of its own as a terminal's foreground job is, on the given wrangler ports. The
 * local services must be up already (the dev runner then leaves them up).
 * `wranglerArgs` go to `wrangler dev` through `npm run dev -- ...`.
 */
export async function startUserDev(ports: { port: number; inspectorPort: number }, how: DevInterrupt, wranglerArgs: string[] = []): Promise<UserDev> {
  const env = {
    ...process.env,
    ...offlineEnv,
    NETRA_WRANGLER_PORT: String(ports.port),
    NETRA_WRANGLER_INSPECTOR_PORT: String(ports.inspectorPort),
  };
  const [command, args] = how === "ctrl-c"
    ? ["npm", ["run", "--silent", "dev", "--", ...wranglerArgs]]
    : [process.execPath, ["--import", "tsx", "scripts/dev.ts", ...wranglerArgs]];
  const child = spawn(command, args, { cwd: repoRoot, env, detached: true, stdio: "ignore" });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const server: UserDev = {
    name: "npm run dev",
    url: `http://127.0.0.1:${ports.port}`,
    child,
    async interrupt(interrupt) {
      process.kill(interrupt === "ctrl-c" ? -pid : pid, "SIGINT");
      return await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-pid, "SIGINT");
      const code = await Promise.race([exited, sleep(30_000).then(() => "timeout" as const)]);
      if (code === "timeout") process.kill(-pid, "SIGKILL");
    },
  };
  try {
    await waitForHttp(`${server.url}/health`, { server, timeoutMs: 180_000, ok: () => true });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
