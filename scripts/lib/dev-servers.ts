/**
 * `wrangler dev` (API, cron and rooms) as a child process of ours, in its own process
 * group, so stopping it also stops the workerd it spawned, and nothing else on the
 * machine is touched.
 */
import { spawn, type ChildProcess } from "node:child_process";
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

export function startWrangler(cfg: LocalConfig, { quiet = false, extraArgs = [] as string[] } = {}): DevServer {
  const bin = join(repoRoot, "node_modules/wrangler/bin/wrangler.js");
  const args = [
    bin, "dev",
    "--ip", "127.0.0.1",
    "--port", String(cfg.wrangler.port),
    "--inspector-port", String(cfg.wrangler.inspectorPort),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...extraArgs,
  ];
  // wrangler dev must get SIGINT: SIGTERM leaves an esbuild process behind.
  return startGroup("wrangler", `http://127.0.0.1:${cfg.wrangler.port}`, args, offlineEnv, "SIGINT", quiet);
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
