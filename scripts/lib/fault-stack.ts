/**
 * A second, private local stack for the fault-injection suite (test/faults): its own
 * state dir and ports, so stopping, pausing (SIGSTOP) and restarting its
 * dependencies never touches the shared stack on the default ports.
 *
 *   Postgres 25433, Redis 26380, Upstash REST 28080, Neon 24445, ClickHouse 28124,
 *   wrangler dev 8891 (inspector 9491; API, cron and rooms); state in /tmp/netra-faults.
 *
 * Every process is tracked by a PID file under the state dir (the services' own, plus
 * pids/wrangler.pid for the dev server, a process group), so the suite's teardown, or the next run, can stop what a crashed run left.
 *
 * @example
 * const stack = await startFaultStack();
 * await pauseService(stack.cfg, "redis"); ... await resumeService(stack.cfg, "redis");
 * await stopFaultStack();
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { migrateClickHouse, migratePostgres } from "../migrate.ts";
import { isAlive, livePid, readPid, writePid } from "../services/process.ts";
import type { Service } from "../services/service.ts";
import { LOCAL_ROOM_TOKEN_SECRET, stack, workerVars } from "../services/stack.ts";
import { offlineEnv, repoRoot, waitForHttp, type DevServer } from "./dev-servers.ts";
import { localUrls, type LocalConfig } from "./local-config.ts";
import { buildWorkerSnapshot } from "./worker-snapshot.ts";

export const FAULT_STATE_DIR = "/tmp/netra-faults";
/** The bootstrap admin key of the private Worker (every scope). Harmless: it opens only this stack. */
export const FAULT_ADMIN_KEY = "netra-faults-admin-key";
export const FAULT_ROOM_TOKEN_SECRET = LOCAL_ROOM_TOKEN_SECRET;

export type FaultServiceName = "postgres" | "redis" | "upstash" | "neon" | "clickhouse";

export function faultConfig(stateDir = FAULT_STATE_DIR): LocalConfig {
  return {
    stateDir,
    postgres: { port: 25433, dataDir: join(stateDir, "postgres"), user: "netra", password: "netra-local", database: "netra" },
    redis: { port: 26380 },
    upstash: { port: 28080, token: "netra-faults-upstash-token" },
    neon: { port: 24445, delayMs: 0 },
    clickhouse: { port: 28124, dataDir: join(stateDir, "clickhouse"), user: "default", password: "", database: "netra" },
    wrangler: { port: 8891, inspectorPort: 9491 },
  };
}

/**
 * The Worker's settings for the faults stack. Timeouts are shortened (not removed) so a
 * paused dependency costs seconds, not the production defaults' tens of seconds; retry
 * backoff is capped low so dropped events show up within the suite's time.
 */
export function faultWorkerVars(cfg: LocalConfig): Record<string, string> {
  return {
    ...workerVars(cfg, { adminKey: FAULT_ADMIN_KEY, roomTokenSecret: FAULT_ROOM_TOKEN_SECRET }),
    STATEMENT_TIMEOUT_MS: "2000",
    DB_CONNECTION_TIMEOUT_MS: "3000",
    CLICKHOUSE_REQUEST_TIMEOUT_MS: "2000",
    HEALTH_CHECK_TIMEOUT_MS: "1500",
    ANALYTICS_RETRY_MAX_MS: "2000",
    // The suite's traffic is one key and one IP: limits high enough never to answer 429 (the limiter still runs).
    RATE_LIMIT_KEY_REQUESTS: "1000000",
    RATE_LIMIT_IP_REQUESTS: "1000000",
  };
}

function services(cfg: LocalConfig): Map<FaultServiceName, Service> {
  return new Map(stack(cfg).map((s) => [s.name as FaultServiceName, s]));
}

export function faultService(cfg: LocalConfig, name: FaultServiceName): Service {
  const service = services(cfg).get(name);
  if (service === undefined) throw new Error(`no service ${name} in the faults stack`);
  return service;
}

// ---------------------------------------------------------------- processes

function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** pid and all its descendants (a postmaster and its backends; a dev server's workerd). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** The main PID of a faults-stack process, if it runs. */
export function mainPid(cfg: LocalConfig, name: FaultServiceName | "wrangler"): number | undefined {
  if (name === "postgres") {
    const file = join(cfg.postgres.dataDir, "data", "postmaster.pid");
    const pid = readPid(file);
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  }
  return livePid(join(cfg.stateDir, "pids", `${name}.pid`));
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

/** SIGSTOP the process and its descendants ("slow": it keeps its sockets but never answers). Returns what it stopped. */
export function pauseProcess(cfg: LocalConfig, name: FaultServiceName): number[] {
  const pid = mainPid(cfg, name);
  if (pid === undefined) throw new Error(`${name} is not running`);
  const pids = processTree(pid);
  signalAll(pids, "SIGSTOP");
  return pids;
}

/** SIGCONT what pauseProcess stopped (safe to call twice, or for processes already gone). */
export function resumeProcesses(pids: readonly number[]): void {
  signalAll(pids, "SIGCONT");
}

/** SIGCONT every process of the faults stack: the safety net of teardown and of a crashed run. */
export function resumeAll(cfg: LocalConfig): void {
  for (const name of ["postgres", "redis", "upstash", "neon", "clickhouse", "wrangler"] as const) {
    const pid = mainPid(cfg, name);
    if (pid !== undefined) signalAll(processTree(pid), "SIGCONT");
  }
}

// ---------------------------------------------------------------- dev servers (process groups)

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopGroup(pidFile: string, signal: NodeJS.Signals): Promise<void> {
  const pid = readPid(pidFile);
  rmSync(pidFile, { force: true });
  if (pid === undefined || !groupAlive(pid)) return;
  // A paused member would never act on the signal.
  signalAll(processTree(pid), "SIGCONT");
  try {
    process.kill(-pid, signal);
  } catch {
    return;
  }
  for (let i = 0; i < 100 && groupAlive(pid); i++) await sleep(50);
  if (groupAlive(pid)) process.kill(-pid, "SIGKILL");
}

function startGroup(cfg: LocalConfig, name: "wrangler", args: string[]): DevServer {
  // Output to the state dir's log (the Worker's structured error lines are what explain a 5xx).
  const logFile = join(cfg.stateDir, "logs", `${name}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...offlineEnv, WRANGLER_LOG: "log" },
    detached: true,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  child.unref();
  const pidFile = join(cfg.stateDir, "pids", `${name}.pid`);
  writePid(pidFile, child.pid);
  return { name, url: wranglerUrl(cfg), child, stop: () => stopGroup(pidFile, "SIGINT") };
}

export function wranglerUrl(cfg: LocalConfig): string {
  return `http://127.0.0.1:${cfg.wrangler.port}`;
}

/**
 * `wrangler dev` over the private stack, serving a snapshot of the Worker (see
 * worker-snapshot.ts: edits to the source tree during the run must not reload it, or
 * the isolate's counters restart). Every URL comes from --var; the snapshot's
 * directory has no .dev.vars, so nothing of the shared stack leaks in.
 */
export async function startFaultWrangler(cfg: LocalConfig, vars: Record<string, string> = faultWorkerVars(cfg)): Promise<void> {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 22) throw new Error(`wrangler dev needs Node 22 (this is ${process.version}): run through \`npm test -- faults\``);
  const bin = join(repoRoot, "node_modules/wrangler/bin/wrangler.js");
  const server = startGroup(cfg, "wrangler", [
    bin, "dev",
    "-c", snapshotConfig(cfg),
    "--ip", "127.0.0.1",
    "--port", String(cfg.wrangler.port),
    "--inspector-port", String(cfg.wrangler.inspectorPort),
    "--persist-to", join(cfg.stateDir, "wrangler"),
    "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ]);
  await waitForHttp(`${server.url}/ping`, { ok: (s) => s === 200, timeoutMs: 90_000, server });
}

export function stopFaultWrangler(cfg: LocalConfig): Promise<void> {
  // SIGINT: SIGTERM leaves an esbuild process behind.
  return stopGroup(join(cfg.stateDir, "pids", "wrangler.pid"), "SIGINT");
}

function snapshotConfig(cfg: LocalConfig): string {
  const file = join(cfg.stateDir, "worker", "wrangler.toml");
  return existsSync(file) ? file : buildWorkerSnapshot(join(cfg.stateDir, "worker"));
}

// ---------------------------------------------------------------- the whole stack

export interface FaultStackInfo {
  cfg: LocalConfig;
  workerUrl: string;
  adminKey: string;
}

/** Stops whatever a previous run left (by PID file), then starts from an empty state dir. */
export async function startFaultStack(cfg: LocalConfig = faultConfig(), log: (line: string) => void = () => undefined): Promise<FaultStackInfo> {
  await stopFaultStack(cfg);
  rmSync(cfg.stateDir, { recursive: true, force: true });
  for (const service of stack(cfg)) {
    const t0 = performance.now();
    log(`[faults] ${service.name} ${await service.up()} on 127.0.0.1:${service.port} (${Math.round(performance.now() - t0)} ms)`);
  }
  const urls = localUrls(cfg);
  await migratePostgres(urls.DATABASE_URL, { log: () => undefined });
  await migrateClickHouse(
    { url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD, database: urls.CLICKHOUSE_DATABASE },
    { log: () => undefined },
  );
  await startFaultWrangler(cfg);
  log(`[faults] wrangler dev ${wranglerUrl(cfg)} (API, cron and rooms)`);
  return { cfg, workerUrl: wranglerUrl(cfg), adminKey: FAULT_ADMIN_KEY };
}

/** Resumes anything paused, then stops the dev servers and the services (reverse order). Never throws. */
export async function stopFaultStack(cfg: LocalConfig = faultConfig()): Promise<void> {
  if (!existsSync(cfg.stateDir)) return;
  resumeAll(cfg);
  await stopFaultWrangler(cfg).catch(() => undefined);
  for (const service of stack(cfg).reverse()) await service.down().catch(() => undefined);
}
