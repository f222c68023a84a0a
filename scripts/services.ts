/**
 * The local service stack: `npm run services -- up|down|status|env`.
 * Postgres, Redis and the local Upstash, Neon and ClickHouse endpoints on 127.0.0.1.
 * Idempotent; stops only what it started (PID files under the state dir).
 */
import { localConfig, localUrls } from "./lib/local-config.ts";
import { stack, writeDevVars } from "./services/stack.ts";

export async function servicesUp(log: (line: string) => void = console.log): Promise<string[]> {
  const started: string[] = [];
  for (const service of stack()) {
    const t0 = performance.now();
    const outcome = await service.up();
    if (outcome === "started") started.push(service.name);
    log(`[services] ${service.name.padEnd(10)} ${outcome} on 127.0.0.1:${service.port} (${Math.round(performance.now() - t0)} ms)`);
  }
  const file = writeDevVars();
  log(`[services] wrote ${file}`);
  return started;
}

/** Stop the named services (all by default), in reverse start order. */
export async function servicesDown(only?: string[], log: (line: string) => void = console.log): Promise<void> {
  for (const service of stack().reverse()) {
    if (only && !only.includes(service.name)) continue;
    log(`[services] ${service.name.padEnd(10)} ${await service.down()}`);
  }
}

export async function servicesStatus(): Promise<{ name: string; up: boolean; pid?: number; url: string }[]> {
  const rows = [];
  for (const service of stack()) {
    const s = await service.status();
    rows.push({ name: service.name, up: s.up, pid: s.pid, url: s.url });
  }
  return rows;
}

async function main(): Promise<number> {
  const command = process.argv[2] ?? "status";
  switch (command) {
    case "up":
      await servicesUp();
      return 0;
    case "down":
      await servicesDown();
      return 0;
    case "status": {
      const rows = await servicesStatus();
      for (const r of rows) console.log(`${r.name.padEnd(10)} ${(r.up ? "up" : "down").padEnd(5)} ${String(r.pid ?? "-").padEnd(8)} ${r.url}`);
      return rows.every((r) => r.up) ? 0 : 3;
    }
    case "env":
      for (const [k, v] of Object.entries(localUrls(localConfig()))) console.log(`export ${k}=${JSON.stringify(v)}`);
      return 0;
    default:
      console.error(`unknown command "${command}": use up, down, status or env`);
      return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`[services] ${error.message}`);
      process.exit(1);
    },
  );
}
