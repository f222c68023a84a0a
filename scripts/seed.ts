/**
 * `npx tsx scripts/seed.ts [--users N] [--audit-logs N] [--agent-states N] [--seed N] [--reset] [--anchor ISO]`
 *
 * Fills the Netra domain tables with deterministic, realistic data: the same arguments give
 * the same rows. Timestamps end at --anchor (default: today 00:00 UTC, so the data stays
 * "recent"; pass --anchor to pin it across days). Refuses non-empty tables unless --reset,
 * which truncates users, audit_logs and agent_states first. DATABASE_URL picks the database.
 */
import pg from "pg";
import { pathToFileURL } from "node:url";
import { localUrls } from "./lib/local-config.ts";
import { describeError } from "./migrate.ts";
import { agentStateBatches, auditLogBatches, userBatches, type SeedShape } from "./seed/generate.ts";
import { insertBatches, syncIdentitySql } from "./seed/insert.ts";
import { AGENT_STATES, AUDIT_LOGS, DOMAIN_TABLES, USERS } from "./seed/tables.ts";

export interface SeedOptions {
  users?: number;
  auditLogs?: number;
  agentStates?: number;
  /** PRNG seed; default 42. */
  seed?: number;
  /** Truncate the domain tables (RESTART IDENTITY) first. */
  reset?: boolean;
  /** Quietly do nothing when the tables already hold data (the dev script's demo seed). */
  ifEmpty?: boolean;
  /** Where timestamps end; default today 00:00 UTC. */
  anchor?: Date;
  /** Rows per INSERT statement; default 10,000. */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface SeedResult {
  users: number;
  auditLogs: number;
  agentStates: number;
  seed: number;
  anchor: Date;
  elapsedMs: number;
}

export const SEED_DEFAULTS = { users: 10_000, auditLogs: 1_000_000, agentStates: 20_000, seed: 42, batchSize: 10_000 } as const;

/** The tables hold data and neither reset nor ifEmpty was asked for. */
export class SeedRefusedError extends Error {
  override readonly name = "SeedRefusedError";
  readonly code = "SEED_TABLES_NOT_EMPTY";
  constructor(readonly nonEmpty: string[]) {
    super(`refusing to seed: ${nonEmpty.join(", ")} already hold rows (pass --reset to truncate them first)`);
  }
}

function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/**
 * Seeds the database at `url` in one transaction (a failure leaves the tables as they were).
 * Returns undefined when `ifEmpty` is set and the tables already hold data.
 * @throws SeedRefusedError (code SEED_TABLES_NOT_EMPTY) on non-empty tables without reset/ifEmpty.
 */
export async function seedDatabase(url: string, options: SeedOptions = {}): Promise<SeedResult | undefined> {
  const client = new pg.Client({ connectionString: url, application_name: "netra-seed" });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`postgres unreachable: ${describeError(error)}`, { cause: error });
  }
  try {
    return await seedWithClient(client, options);
  } catch (error) {
    if ((error as { code?: unknown }).code === "42P01") {
      throw new Error(`${describeError(error)}: apply the migrations first (npx tsx scripts/migrate.ts --postgres)`, { cause: error });
    }
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** As seedDatabase, over a connected client the caller owns. */
export async function seedWithClient(client: pg.Client, options: SeedOptions = {}): Promise<SeedResult | undefined> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const shape: SeedShape = {
    users: count("users", options.users ?? SEED_DEFAULTS.users),
    auditLogs: count("auditLogs", options.auditLogs ?? SEED_DEFAULTS.auditLogs),
    agentStates: count("agentStates", options.agentStates ?? SEED_DEFAULTS.agentStates),
    seed: options.seed ?? SEED_DEFAULTS.seed,
    anchorMs: (options.anchor ?? startOfUtcDay(new Date())).getTime(),
  };
  if (!Number.isInteger(shape.seed)) throw new RangeError(`seed must be an integer, got ${shape.seed}`);
  if (Number.isNaN(shape.anchorMs)) throw new RangeError("anchor is not a valid date");
  if (shape.agentStates > 0 && shape.users === 0) throw new RangeError("agent states need at least one user");
  const batchSize = count("batchSize", options.batchSize ?? SEED_DEFAULTS.batchSize);
  if (batchSize === 0) throw new RangeError("batchSize must be positive");

  const tables = DOMAIN_TABLES.map((spec) => spec.table).join(", ");
  await client.query("BEGIN");
  try {
    // Serialises concurrent seeders: the second waits, then sees the first one's rows.
    await client.query(`LOCK TABLE ${tables} IN SHARE ROW EXCLUSIVE MODE`);
    if (options.reset) {
      await client.query(`TRUNCATE ${tables} RESTART IDENTITY`);
    } else {
      const nonEmpty = await nonEmptyTables(client);
      if (nonEmpty.length > 0) {
        if (options.ifEmpty) {
          await client.query("ROLLBACK");
          return undefined;
        }
        throw new SeedRefusedError(nonEmpty);
      }
    }
    const progress = (table: string, total: number) => (rows: number) => {
      if (rows === total || rows % 200_000 === 0) log(`[seed] ${table}: ${rows.toLocaleString("en-US")} / ${total.toLocaleString("en-US")}`);
    };
    await insertBatches(client, USERS, userBatches(shape, batchSize), progress(USERS.table, shape.users));
    await insertBatches(client, AUDIT_LOGS, auditLogBatches(shape, batchSize), progress(AUDIT_LOGS.table, shape.auditLogs));
    await insertBatches(client, AGENT_STATES, agentStateBatches(shape, batchSize), progress(AGENT_STATES.table, shape.agentStates));
    await client.query(syncIdentitySql(USERS));
    await client.query(syncIdentitySql(AUDIT_LOGS));
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
  // Fresh statistics, so the first plans (and the index advisor) see the real distributions.
  await client.query(`ANALYZE ${tables}`);
  return {
    users: shape.users,
    auditLogs: shape.auditLogs,
    agentStates: shape.agentStates,
    seed: shape.seed,
    anchor: new Date(shape.anchorMs),
    elapsedMs: Math.round(performance.now() - started),
  };
}

function count(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}

async function nonEmptyTables(client: pg.Client): Promise<string[]> {
  const found: string[] = [];
  for (const spec of DOMAIN_TABLES) {
    const { rowCount } = await client.query(`SELECT 1 FROM ${spec.table} LIMIT 1`);
    if ((rowCount ?? 0) > 0) found.push(spec.table);
  }
  return found;
}

const FLAGS = {
  "--users": "users",
  "--audit-logs": "auditLogs",
  "--agent-states": "agentStates",
  "--seed": "seed",
  "--batch-size": "batchSize",
} as const;

export function parseSeedArgs(argv: readonly string[]): SeedOptions {
  const options: SeedOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? (arg.split("=", 2) as [string, string]) : [arg, undefined];
    if (flag === "--reset") {
      options.reset = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--anchor") {
      options.anchor = new Date(value);
      if (Number.isNaN(options.anchor.getTime())) throw new Error(`--anchor needs an ISO date, got "${value}"`);
      continue;
    }
    if (!(flag in FLAGS)) throw new Error(`unknown argument ${flag}`);
    const number = Number(value.replaceAll("_", ""));
    if (!Number.isSafeInteger(number)) throw new Error(`${flag} needs an integer, got "${value}"`);
    options[FLAGS[flag as keyof typeof FLAGS]] = number;
  }
  return options;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: SeedOptions;
  try {
    options = parseSeedArgs(argv);
  } catch (error) {
    console.error(`seed: ${describeError(error)}`);
    console.error("usage: seed.ts [--users N] [--audit-logs N] [--agent-states N] [--seed N] [--reset] [--anchor ISO] [--batch-size N]");
    return 2;
  }
  const url = process.env.DATABASE_URL || localUrls().DATABASE_URL;
  try {
    const result = await seedDatabase(url, { ...options, log: console.log });
    if (result === undefined) return 0;
    const rows = result.users + result.auditLogs + result.agentStates;
    const seconds = result.elapsedMs / 1000;
    console.log(
      `[seed] ${result.users.toLocaleString("en-US")} users, ${result.auditLogs.toLocaleString("en-US")} audit logs, ` +
        `${result.agentStates.toLocaleString("en-US")} agent states (seed ${result.seed}, anchor ${result.anchor.toISOString()}) ` +
        `in ${seconds.toFixed(1)} s (${Math.round(rows / Math.max(seconds, 0.001)).toLocaleString("en-US")} rows/s)`,
    );
    return 0;
  } catch (error) {
    console.error(`seed: ${describeError(error)}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
