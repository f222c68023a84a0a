/**
 * `npm run advise -- [--database-url URL] [--apply] [--json] [--max-indexes N] [--min-calls N]
 *   [--top N] [--clickhouse]`
 *
 * Runs the index advisor against any Postgres database (default: DATABASE_URL, else the local
 * stack's) over one `pg` session and prints the report; --json prints it as JSON. --apply builds
 * the recommended indexes (CREATE INDEX CONCURRENTLY); without it nothing is changed.
 * --clickhouse adds the ClickHouse analysis (CLICKHOUSE_URL/USER/PASSWORD/DATABASE).
 * Exit codes: 0 done, 1 failed, 2 bad arguments, 3 another run holds the lock.
 */
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { parseArgs } from "node:util";
import { adviseClickHouse, type ClickHouseAdvice } from "../shared/analytics/advisor/index.ts";
import { AdvisorError, renderReport, runAdvisor, type AdvisorOptions } from "../shared/db/advisor/index.ts";
import { localUrls } from "./lib/local-config.ts";
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
    const report = await runAdvisor(client, overrides);
    const clickhouse = parsed.values.clickhouse ? await clickhouseAdvice() : undefined;
    const full = clickhouse === undefined ? report : { ...report, clickhouse };
    console.log(parsed.values.json ? JSON.stringify(full, null, 2) : renderReport(full));
    return report.applied.some((b) => b.status === "failed") ? 1 : 0;
  } catch (error) {
    console.error(`[advise] ${describeError(error)}`);
    return error instanceof AdvisorError && error.code === "ADVISOR_LOCKED" ? 3 : 1;
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
