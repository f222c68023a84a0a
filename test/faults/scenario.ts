/**
 * One fault, run the same way for every dependency: traffic starts, a baseline window,
 * the fault (stop, or SIGSTOP for "slow") held for a while, then the restart (or
 * SIGCONT) and the wait for recovery. The answers of each window come back for the
 * test to judge. A paused process is always resumed and a stopped one restarted, in
 * a finally block, whatever happened.
 */
import pg from "pg";
import { faultService, pauseProcess, resumeProcesses, type FaultServiceName } from "../../scripts/lib/fault-stack.ts";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { call, expectRecovers, sleep, stackInfo, startTraffic, type Answer, type TrafficPlan } from "./helpers.ts";

export interface FaultRun {
  before: Answer[];
  during: Answer[];
  after: Answer[];
  recoveryMs: number;
}

export interface FaultOptions {
  /** Ids read repeatedly (warmed into L1 before the fault). */
  hot: readonly string[];
  writes?: TrafficPlan["writes"];
  /** How long the fault is held. */
  holdMs?: number;
  /** Runs while the fault is held (e.g. /health, a publish), with traffic still going. */
  probe?: () => Promise<void>;
  /** Start it again (default: the service's own up()). */
  restart?: () => Promise<void>;
  /** Stop it (default: the service's own down()). */
  stop?: () => Promise<void>;
  /** The processes to SIGSTOP (default: the service's process tree). */
  pause?: () => number[];
}

/** Users inserted straight into the faults stack's Postgres: each read once, so each read is a miss. */
export async function seedUsers(n: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: localUrls(stackInfo().cfg).DATABASE_URL });
  await client.connect();
  try {
    const tag = Math.random().toString(36).slice(2, 10);
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO users (email, display_name, plan_tier, role)
       SELECT 'cold-' || $2 || '-' || g || '@example.test', 'Cold ' || g, 'free', 'member' FROM generate_series(1, $1::int) AS g
       RETURNING id::text AS id`,
      [n, tag],
    );
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

export async function runFault(service: FaultServiceName, mode: "stop" | "pause", options: FaultOptions): Promise<FaultRun> {
  const { cfg } = stackInfo();
  const holdMs = options.holdMs ?? 4_000;
  const [cold, written] = [await seedUsers(60), await seedUsers(3)];
  // Warm: the hot ids are L1 hits from here on (the traffic never writes them).
  for (const id of options.hot) await call(`/v1/users/${id}`);
  const traffic = startTraffic({ hot: options.hot, cold, written, writes: options.writes ?? "users-and-audit" });
  await sleep(1_000);
  const before = traffic.take();
  let during: Answer[] = [];
  let recoveryMs = Number.NaN;
  let paused: number[] = [];
  let after: Answer[] = [];
  try {
    const own = faultService(cfg, service);
    if (mode === "stop") await (options.stop ?? (() => own!.down().then(() => undefined)))();
    else paused = (options.pause ?? (() => pauseProcess(cfg, service)))();
    try {
      const held = sleep(holdMs);
      await options.probe?.();
      await held;
      during = traffic.take();
    } finally {
      if (mode === "pause") resumeProcesses(paused);
      else await (options.restart ?? (() => own!.up().then(() => undefined)))();
    }
    recoveryMs = await expectRecovers();
    await sleep(500);
  } finally {
    after = await traffic.stop();
  }
  return { before, during, after, recoveryMs };
}
