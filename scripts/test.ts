/**
 * `npm test`: every test tier against the real local stack.
 *   unit + integration (Node, real services) -> worker (inside workerd) -> e2e (dev servers)
 *   -> faults (its own private stack on other ports: dependencies stopped, paused, restarted)
 * Brings the services up if they are not, migrates, starts `wrangler dev` for the e2e
 * tier (exported as NETRA_WORKER_URL), runs the tiers, then stops what it started. `npm test -- unit worker` runs only those tiers.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { localConfig, localUrls } from "./lib/local-config.ts";
import { offlineEnv, repoRoot, startWrangler, waitForHttp, type DevServer } from "./lib/dev-servers.ts";
import { servicesDown, servicesUp } from "./services.ts";
import { migrateClickHouse, migratePostgres } from "./migrate.ts";

interface Tier {
  name: string;
  config: string;
  include?: string[];
  /** Needs a `wrangler dev` of the Worker (API and rooms) on the configured port. */
  needsWorker: boolean;
  /** Brings its own private stack (other ports, other state dir): needs nothing on the default ports. */
  ownStack?: boolean;
}

const TIERS: Tier[] = [
  { name: "unit", config: "vitest.config.ts", include: ["test/unit"], needsWorker: false },
  { name: "integration", config: "vitest.config.ts", include: ["test/integration"], needsWorker: false },
  { name: "worker", config: "vitest.worker.config.ts", needsWorker: false },
  { name: "e2e", config: "vitest.e2e.config.ts", needsWorker: true },
  // Stops, pauses and restarts dependencies: only ever those of its own stack (scripts/lib/fault-stack.ts).
  { name: "faults", config: "vitest.faults.config.ts", needsWorker: false, ownStack: true },
];

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

function runVitest(tier: Tier, env: NodeJS.ProcessEnv): Promise<Counts> {
  const resultsDir = join(repoRoot, "test-results");
  mkdirSync(resultsDir, { recursive: true });
  const outputFile = join(resultsDir, `${tier.name}.json`);
  rmSync(outputFile, { force: true });
  const args = [
    join(repoRoot, "node_modules/vitest/vitest.mjs"),
    "run",
    "--config", tier.config,
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${outputFile}`,
    ...(tier.include ?? []),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: "inherit" });
    child.on("exit", (code) => {
      if (!existsSync(outputFile)) {
        resolve({ passed: 0, failed: 1, skipped: 0 });
        return;
      }
      const report = JSON.parse(readFileSync(outputFile, "utf8")) as {
        numPassedTests: number;
        numFailedTests: number;
        numPendingTests: number;
        numTodoTests: number;
      };
      // A file that fails to load has no failed test but must still fail the run.
      const failed = report.numFailedTests > 0 ? report.numFailedTests : code === 0 ? 0 : 1;
      resolve({ passed: report.numPassedTests, failed, skipped: report.numPendingTests + report.numTodoTests });
    });
  });
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const tiers = wanted.length > 0 ? TIERS.filter((t) => wanted.includes(t.name)) : TIERS;
  if (tiers.length === 0) {
    console.error(`unknown tier(s) ${wanted.join(", ")}: choose from ${TIERS.map((t) => t.name).join(", ")}`);
    return 2;
  }
  const cfg = localConfig();
  const urls = localUrls(cfg);
  const env: NodeJS.ProcessEnv = { ...process.env, ...offlineEnv, ...urls, NETRA_TEST: "1" };
  let startedServices: string[] = [];
  let worker: DevServer | undefined;
  const totals: Counts = { passed: 0, failed: 0, skipped: 0 };
  try {
    if (tiers.some((t) => !t.ownStack)) {
      startedServices = await servicesUp();
      await migratePostgres(urls.DATABASE_URL);
      await migrateClickHouse({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD, database: urls.CLICKHOUSE_DATABASE });
    }
    for (const tier of tiers) {
      // The shared stack's wrangler dev is not the faults tier's: stop it before (that tier runs its own).
      if (tier.ownStack && worker) {
        await worker.stop();
        worker = undefined;
      }
      if (tier.needsWorker && !worker) {
        worker = startWrangler(cfg, { quiet: true });
        await waitForHttp(`${worker.url}/health`, { server: worker, ok: (s) => s === 200, timeoutMs: 90_000 });
        env.NETRA_WORKER_URL = worker.url;
      }
      console.log(`\n=== ${tier.name} tests ===`);
      const counts = await runVitest(tier, env);
      totals.passed += counts.passed;
      totals.failed += counts.failed;
      totals.skipped += counts.skipped;
      console.log(`=== ${tier.name}: ${counts.passed} passed, ${counts.failed} failed ===`);
    }
  } catch (error) {
    console.error(`[test] ${(error as Error).message}`);
    totals.failed += 1;
  } finally {
    await worker?.stop();
    if (startedServices.length > 0) await servicesDown(startedServices);
  }
  console.log(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
  return totals.failed === 0 && totals.passed > 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
