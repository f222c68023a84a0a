/**
 * `npm run bench -- <name> [args]`: runs scripts/bench/<name>.ts against the real
 * local stack, prints its table, and writes bench/results/<name>.json.
 * Each benchmark module default-exports `run(args) => Promise<BenchReport>`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import os from "node:os";
import { localUrls } from "./lib/local-config.ts";
import { repoRoot } from "./lib/dev-servers.ts";
import { migrateClickHouse, migratePostgres } from "./migrate.ts";
import { servicesDown, servicesUp } from "./services.ts";
import type { BenchReport } from "./bench/report.ts";
import { printReport } from "./bench/report.ts";

const NAMES = ["cache", "ws", "metrics", "indexes", "load", "floor", "coherence", "clickhouse-views"] as const;

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || !(NAMES as readonly string[]).includes(name)) {
    console.error(`usage: npm run bench -- <${NAMES.join("|")}> [args]`);
    return 2;
  }
  const started = await servicesUp(() => undefined);
  try {
    const urls = localUrls();
    await migratePostgres(urls.DATABASE_URL, { log: () => undefined });
    await migrateClickHouse({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD, database: urls.CLICKHOUSE_DATABASE }, { log: () => undefined });
    const module = (await import(`./bench/${name}.ts`)) as { default: (args: string[]) => Promise<BenchReport> };
    const report = await module.default(args);
    const stamped = { benchmark: name, at: new Date().toISOString(), machine: machineFacts(), ...report };
    printReport(stamped);
    const dir = join(repoRoot, "bench/results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(stamped, null, 2)}\n`);
    console.log(`\nwrote bench/results/${name}.json`);
    return 0;
  } finally {
    if (started.length > 0) await servicesDown(started, () => undefined);
  }
}

function machineFacts() {
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", memGiB: Math.round(os.totalmem() / 2 ** 30) };
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`[bench] ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
