/**
 * `npm run advise -- [--database-url URL] [--apply] [--json] [--max-indexes N] [--min-calls N]
 *   [--top N] [--clickhouse] [--runs-file PATH]`
 *
 * Runs the index advisor against any Postgres database (default: DATABASE_URL, else the local
 * stack's) over one `pg` session and prints the report; --json prints it as JSON. --apply builds
 * the recommended indexes (CREATE INDEX CONCURRENTLY); without it nothing is changed.
 * --clickhouse adds the ClickHouse analysis (CLICKHOUSE_URL/USER/PASSWORD/DATABASE).
 * Every run is recorded, like the cron's: in the database's index_advisor_runs table when it has
 * one (Netra's, migrated) and no --runs-file is given, else in a JSON file (--runs-file, default
 * under the state dir, one per database). So the next run verifies the indexes this one built (verify.ts) and carries their
 * measured impact forward.
 * Exit codes: 0 done, 1 failed, 2 bad arguments, 3 another run holds the lock.
 */
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { adviseClickHouse, type ClickHouseAdvice } from "../shared/analytics/advisor/index.ts";
import { executeAdvisorRun, postgresRunStore, renderReport, type AdvisorOptions, type RunStore } from "../shared/db/advisor/index.ts";
import { fileRunStore } from "./lib/advisor-run-file.ts";
import { localConfig, localUrls } from "./lib/local-config.ts";
import { describeError } from "./migrate.ts";

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`--${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

async function clickhouseAdvice(): Promise<ClickHouseAdvice> {
  const urls = localUrls();
  const database = process.env.CLICKHOUSE_DATABASE || urls.CLICKHOUSE_DATABASE;
  const client = createClient({
    url: process.env.CLICKHOUSE_URL || urls.CLICKHOUSE_URL,
    username: process.env.CLICKHOUSE_USER || urls.CLICKHOUSE_USER,
    password: process.env.CLICKHOUSE_PASSWORD ?? urls.CLICKHOUSE_PASSWORD,
  });
  try {
    const reader = { query: async (sql: string) => (await client.query({ query: sql, format: "JSONEachRow" })).json<Record<string, unknown>>() };
    return await adviseClickHouse(reader, database);
  } finally {
    await client.close();
  }
}

/** Where this database's runs are recorded: its own index_advisor_runs table, else a file. */
async function runStore(client: pg.Client, url: string, runsFile: string | undefined): Promise<{ store: RunStore; where: string }> {
  const { rows } = await client.query("SELECT to_regclass('index_advisor_runs') IS NOT NULL AS present");
  if (rows[0]?.present === true && runsFile === undefined) return { store: postgresRunStore(client), where: "index_advisor_runs" };
  const parsed = new URL(url);
  const name = `${parsed.hostname}_${parsed.port || "5432"}_${parsed.pathname.slice(1) || "postgres"}`.replace(/[^A-Za-z0-9_.-]+/g, "_");
  const path = runsFile ?? join(localConfig().stateDir, "advisor-runs", `${name}.json`);
  return { store: fileRunStore(path), where: path };
}

async function main(): Promise<number> {
  let parsed;
  let overrides: Partial<AdvisorOptions>;
  try {
    parsed = parseArgs({
      options: {
        "database-url": { type: "string" },
        apply: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        "max-indexes": { type: "string" },
        "min-calls": { type: "string" },
        top: { type: "string" },
        clickhouse: { type: "boolean", default: false },
        "runs-file": { type: "string" },
      },
      strict: true,
    });
    const v = parsed.values;
    overrides = Object.fromEntries(
      Object.entries({
        apply: v.apply,
        maxIndexes: positiveInt("max-indexes", v["max-indexes"]),
        minCalls: positiveInt("min-calls", v["min-calls"]),
        topStatements: positiveInt("top", v.top),
      }).filter(([, value]) => value !== undefined),
    );
  } catch (error) {
    console.error(`[advise] ${describeError(error)}`);
    return 2;
  }
  const url = parsed.values["database-url"] || process.env.DATABASE_URL || localUrls().DATABASE_URL;
  const client = new pg.Client({ connectionString: url, application_name: "netra-advise" });
  try {
    await client.connect();
  } catch (error) {
    console.error(`[advise] postgres unreachable: ${describeError(error)}`);
    return 1;
  }
  try {
    const { store, where } = await runStore(client, url, parsed.values["runs-file"]);
    const outcome = await executeAdvisorRun({
      session: client,
      store,
      trigger: "cli",
      triggerKey: `cli:${randomUUID()}`,
      options: overrides,
      ...(parsed.values.clickhouse ? { clickhouse: clickhouseAdvice } : {}),
    });
    if (outcome.status === "skipped") {
      console.error(`[advise] not run: ${outcome.reason ?? "another run holds the lock"}`);
      return 3;
    }
    if (outcome.status === "error" || outcome.report === undefined) {
      console.error(`[advise] run ${outcome.runId ?? "?"} failed (recorded in ${where}): ${outcome.reason ?? "unknown error"}`);
      return 1;
    }
    const report = outcome.report;
    console.log(parsed.values.json ? JSON.stringify(report, null, 2) : renderReport(report));
    console.error(`[advise] run ${outcome.runId ?? "?"} recorded in ${where}`);
    return report.applied.some((b) => b.status === "failed") ? 1 : 0;
  } catch (error) {
    console.error(`[advise] ${describeError(error)}`);
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`[advise] ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
