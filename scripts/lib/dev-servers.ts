/**
 * `wrangler dev` (API, cron and rooms) as a child process of ours, in its own process
 * group, so stopping it also stops the workerd it spawned, and nothing else on the
 * machine is touched. Its own group also keeps a terminal's Ctrl-C (SIGINT to the
 * foreground group) away from it: we stop it, in order.
 *
 * Stopping drains first: wrangler answers SIGINT by killing workerd with SIGKILL within
 * about 150 ms, which cuts short the metrics inserts the last requests left in
 * `ctx.waitUntil`. So stop() first calls the Worker's local drain route
 * (functions/dev-drain.ts, enabled by a random token passed as a `--var` for this run
 * only), which returns once every queued event is in ClickHouse, then sends SIGINT.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type LocalConfig } from "./local-config.ts";

export const repoRoot = join(import.meta.dirname, "../..");

/** Keep wrangler and miniflare off the network: no telemetry, no cf.json fetch. */
export const offlineEnv = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? "warn",
};

export interface DevServer {
  name: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function startGroup(name: string, url: string, args: string[], env: NodeJS.ProcessEnv, stopSignal: NodeJS.Signals, quiet: boolean): DevServer {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", quiet ? "ignore" : "inherit", quiet ? "ignore" : "inherit"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  return {
    name,
    url,
    child,
    async stop() {
      if (!groupAlive(pid)) return;
      try {
        process.kill(-pid, stopSignal);
      } catch {
        return;
      }
      for (let i = 0; i < 100 && groupAlive(pid); i++) await sleep(50);
      if (groupAlive(pid)) process.kill(-pid, "SIGKILL");
    },
  };
}

/** The Worker's drain route (functions/dev-drain.ts). */
const DRAIN_PATH = "/__netra/dev/drain";
/** The route bounds itself at 10 s; this covers the round trip on a loaded machine. */
const DRAIN_TIMEOUT_MS = 15_000;

/**
 * Asks the Worker to send its queued metrics events: "drained" when it reports them all
 * sent, "no-route" for a Worker without the route (a bench's bare Worker), else "failed".
 */
export async function drainWorker(url: string, token: string): Promise<"drained" | "no-route" | "failed"> {
  try {
    const res = await fetch(`${url}${DRAIN_PATH}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS) });
    if (res.status === 404) {
      await res.arrayBuffer();
      return "no-route";
    }
    const body = (await res.json()) as { drained?: unknown };
    return res.status === 200 && body.drained === true ? "drained" : "failed";
  } catch {
    return "failed";
  }
}

export function startWrangler(cfg: LocalConfig, { quiet = false, extraArgs = [] as string[], drainOnStop = true } = {}): DevServer {
  const bin = join(repoRoot, "node_modules/wrangler/bin/wrangler.js");
  const drainToken = randomBytes(24).toString("hex");
  const args = [
    bin, "dev",
    "--ip", "127.0.0.1",
    "--port", String(cfg.wrangler.port),
    "--inspector-port", String(cfg.wrangler.inspectorPort),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    "--var", `ANALYTICS_DEV_DRAIN_TOKEN:${drainToken}`,
    ...extraArgs,
  ];
  // wrangler dev must get SIGINT: SIGTERM leaves an esbuild process behind.
  const server = startGroup("wrangler", `http://127.0.0.1:${cfg.wrangler.port}`, args, offlineEnv, "SIGINT", quiet);
  if (!drainOnStop) return server;
  const stop = server.stop;
  let stopping: Promise<void> | undefined;
  server.stop = () =>
    (stopping ??= (async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        const drained = await drainWorker(server.url, drainToken);
        if (drained === "failed" && !quiet) console.warn("[wrangler] metrics not drained before stopping; the last events may be missing from ClickHouse");
      }
      await stop();
    })());
  return server;
}

/** Resolve when `url` answers with a status accepted by `ok`, or throw after timeoutMs. */
export async function waitForHttp(url: string, { timeoutMs = 60_000, ok = (s: number) => s < 500, server }: { timeoutMs?: number; ok?: (status: number) => boolean; server?: DevServer } = {}): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (server && server.child.exitCode !== null) throw new Error(`${server.name} exited with code ${server.child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (ok(res.status)) return res;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}
