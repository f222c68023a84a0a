/**
 * `npx tsx scripts/migrate.ts [--postgres] [--clickhouse]`: applies the pending schema
 * migrations (both databases unless one is named) and prints what ran.
 *
 * Postgres: DATABASE_URL (default: the local stack's). ClickHouse: CLICKHOUSE_URL,
 * CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE (defaults: the local stack's).
 * Exit code 1 with a one-line message when a service is unreachable or a migration fails.
 */
import { createClient } from "@clickhouse/client-web";
import pg from "pg";
import { pathToFileURL } from "node:url";
import { applyClickHouseMigrations, clickHouseExecutor } from "../shared/analytics/migrate.ts";
import { applyMigrations } from "../shared/db/migrate.ts";
import type { MigrationRunResult } from "../shared/db/migration-types.ts";
import { localUrls } from "./lib/local-config.ts";

export interface MigrateOptions {
  /** Where progress lines go; default console.log. */
  log?: (line: string) => void;
}

export interface ClickHouseTarget {
  url: string;
  username?: string;
  password?: string;
  database?: string;
}

/** Applies the Postgres migrations to the database at `url` over one `pg` session. */
export async function migratePostgres(url: string, options: MigrateOptions = {}): Promise<MigrationRunResult> {
  const log = options.log ?? console.log;
  const client = new pg.Client({ connectionString: url, application_name: "netra-migrate" });
  // Server WARNINGs (e.g. an extension the role may not create) are worth seeing.
  client.on("notice", (notice) => {
    if (notice.severity === "WARNING") log(`[migrate] postgres warning: ${notice.message}`);
  });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`postgres unreachable at ${describeTarget(url)}: ${describeError(error)}`, { cause: error });
  }
  try {
    const result = await applyMigrations(client, {
      onApplied: (m) => log(`[migrate] postgres: applied ${m.id} (${m.durationMs} ms)`),
    });
    log(`[migrate] postgres: ${summary(result)}`);
    return result;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Applies the ClickHouse migrations through @clickhouse/client-web (no default database: it may not exist yet). */
export async function migrateClickHouse(target: ClickHouseTarget, options: MigrateOptions = {}): Promise<MigrationRunResult> {
  const log = options.log ?? console.log;
  const client = createClient({
    url: target.url,
    username: target.username ?? "default",
    password: target.password ?? "",
    application: "netra-migrate",
  });
  try {
    const ping = await client.ping();
    if (!ping.success) {
      throw new Error(`clickhouse unreachable at ${describeTarget(target.url)}: ${describeError(ping.error)}`, { cause: ping.error });
    }
    const result = await applyClickHouseMigrations(clickHouseExecutor(client), {
      ...(target.database === undefined ? {} : { database: target.database }),
      onApplied: (m) => log(`[migrate] clickhouse: applied ${m.id} (${m.durationMs} ms)`),
    });
    log(`[migrate] clickhouse: ${summary(result)}`);
    return result;
  } finally {
    await client.close().catch(() => undefined);
  }
}

function summary(result: MigrationRunResult): string {
  const parts = [
    result.applied.length === 0 ? "up to date" : `${result.applied.length} applied`,
    `${result.skipped.length} already applied`,
  ];
  if (result.unknown.length > 0) parts.push(`recorded but unknown to this code: ${result.unknown.join(", ")}`);
  return parts.join(", ");
}

/** host:port/db without credentials, for messages. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

/** One line, even for Node's AggregateError (localhost resolves to ::1 and 127.0.0.1) and fetch's wrapped causes. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const own = error.message || (typeof code === "string" ? code : error.name);
    const cause = error.cause === undefined ? "" : describeError(error.cause);
    const line = cause === "" || own.includes(cause) ? own : `${own} (${cause})`;
    return line.replace(/\s+/g, " ").trim();
  }
  return String(error);
}

async function main(argv: readonly string[]): Promise<number> {
  const unknownFlags = argv.filter((a) => a !== "--postgres" && a !== "--clickhouse");
  if (unknownFlags.length > 0) {
    console.error(`migrate: unknown argument ${unknownFlags.join(" ")} (usage: migrate.ts [--postgres] [--clickhouse])`);
    return 2;
  }
  const both = argv.length === 0;
  const urls = localUrls();
  const env = process.env;
  try {
    if (both || argv.includes("--postgres")) {
      await migratePostgres(env.DATABASE_URL || urls.DATABASE_URL);
    }
    if (both || argv.includes("--clickhouse")) {
      await migrateClickHouse({
        url: env.CLICKHOUSE_URL || urls.CLICKHOUSE_URL,
        username: env.CLICKHOUSE_USER || urls.CLICKHOUSE_USER,
        password: env.CLICKHOUSE_PASSWORD ?? urls.CLICKHOUSE_PASSWORD,
        database: env.CLICKHOUSE_DATABASE || urls.CLICKHOUSE_DATABASE,
      });
    }
    return 0;
  } catch (error) {
    console.error(`migrate: ${describeError(error)}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
