/**
 * A service we run as a detached child process and track with a PID file:
 * redis-server and the local Upstash, Neon and ClickHouse endpoints.
 */
import { join } from "node:path";
import { rmSync } from "node:fs";
import { livePid, portInUse, spawnDetached, stopPid, tail, waitFor, writePid } from "./process.ts";
import type { Service, ServiceStatus } from "./service.ts";

export interface SpawnedServiceSpec {
  name: string;
  port: number;
  url: string;
  stateDir: string;
  command: string;
  args: string[];
  /** Checked (and fixed when possible) before the first start. */
  install?: () => void;
  readyTimeoutMs?: number;
}

export function spawnedService(spec: SpawnedServiceSpec): Service {
  const pidFile = join(spec.stateDir, "pids", `${spec.name}.pid`);
  const logFile = join(spec.stateDir, "logs", `${spec.name}.log`);

  return {
    name: spec.name,
    port: spec.port,
    logFile,
    async up() {
      if (livePid(pidFile) !== undefined && (await portInUse(spec.port))) return "already up";
      spec.install?.();
      if (await portInUse(spec.port)) {
        throw new Error(`port ${spec.port} is in use by another process: stop it or choose another port for ${spec.name}`);
      }
      const pid = spawnDetached(spec.command, spec.args, { logFile });
      writePid(pidFile, pid);
      try {
        await waitFor(spec.name, () => portInUse(spec.port), {
          timeoutMs: spec.readyTimeoutMs ?? 30_000,
          isRunning: () => livePid(pidFile) !== undefined,
        });
      } catch (error) {
        await stopPid(pid);
        rmSync(pidFile, { force: true });
        throw new Error(`${(error as Error).message}; last lines of ${logFile}:\n${tail(logFile)}`);
      }
      return "started";
    },
    async down() {
      const pid = livePid(pidFile);
      if (pid === undefined) return "not running";
      await stopPid(pid);
      rmSync(pidFile, { force: true });
      return "stopped";
    },
    async status(): Promise<ServiceStatus> {
      const pid = livePid(pidFile);
      return { pid, up: pid !== undefined && (await portInUse(spec.port)), url: spec.url };
    },
  };
}
