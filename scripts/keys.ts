/**
 * `npm run keys -- <command>`: API key administration straight against Postgres
 * (DATABASE_URL, else the local stack's), over one `pg` session.
 *
 *   create --scope read [--scope write ...] [--name NAME]   prints the token once
 *   list [--active] [--json]                                ids, names, scopes, dates; never secrets
 *   rotate <keyId>                                          new secret, prints the new token once
 *   revoke <keyId>                                          idempotent
 *
 * Running Workers notice a rotation or revocation made here within
 * API_KEY_CACHE_TTL_MS (default 30 s): each isolate trusts a key lookup that long.
 * Exit codes: 0 done, 1 failed (unreachable database, unknown or revoked key), 2 bad arguments.
 */
import pg from "pg";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { isScope, SCOPES, type Scope } from "../shared/api/api-keys.ts";
import { KEY_ID_PATTERN, keyAdmin, KeyAdminError, type KeyRecord, type KeySql } from "../shared/api/key-admin.ts";
import { localUrls } from "./lib/local-config.ts";
import { describeError } from "./migrate.ts";

const USAGE = `usage: npm run keys -- create --scope <${SCOPES.join("|")}> [--scope ...] [--name NAME]
       npm run keys -- list [--active] [--json]
       npm run keys -- rotate <keyId>
       npm run keys -- revoke <keyId>`;

class UsageError extends Error {}

export interface KeysIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

function pgKeySql(client: pg.Client): KeySql {
  const run = async (sql: string, params: readonly unknown[]) => ({ rows: (await client.query(sql, [...params])).rows as Record<string, unknown>[] });
  return { read: run, write: run };
}

function table(records: readonly KeyRecord[]): string[] {
  const header = ["KEY ID", "NAME", "SCOPES", "CREATED", "LAST USED", "REVOKED"];
  const rows = records.map((r) => [r.keyId, r.name, r.scopes.join(","), r.createdAt, r.lastUsedAt ?? "-", r.revokedAt ?? "-"]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
}

function keyIdArg(positionals: string[]): string {
  const keyId = positionals[1];
  if (keyId === undefined || !KEY_ID_PATTERN.test(keyId)) throw new UsageError("a key id (16 lower-case hex characters) is required");
  return keyId;
}

function printIssued(io: KeysIo, verb: string, key: KeyRecord & { token: string }): void {
  io.out(`${verb} key ${key.keyId} (${key.name}) with scopes ${key.scopes.join(", ")}`);
  io.out(`token (shown once; store it now): ${key.token}`);
}

/** Runs one command; returns the exit code. */
export async function runKeys(argv: string[], databaseUrl: string, io: KeysIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        scope: { type: "string", multiple: true },
        name: { type: "string" },
        active: { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }

  let run: (admin: ReturnType<typeof keyAdmin>) => Promise<void>;
  try {
    switch (command) {
      case "create": {
        const scopes = values.scope ?? [];
        const bad = scopes.filter((s) => !isScope(s));
        if (scopes.length === 0) throw new UsageError("create needs at least one --scope");
        if (bad.length > 0) throw new UsageError(`unknown scope ${bad.join(", ")} (scopes: ${SCOPES.join(", ")})`);
        const name = values.name ?? "cli";
        if (name.trim() === "" || name.length > 200) throw new UsageError("--name must be 1-200 characters");
        run = async (admin) => printIssued(io, "created", await admin.create(name, scopes as Scope[]));
        break;
      }
      case "list":
        run = async (admin) => {
          const keys = await admin.list({ activeOnly: values.active === true });
          if (values.json) io.out(JSON.stringify(keys, null, 2));
          else for (const line of table(keys)) io.out(line);
        };
        break;
      case "rotate": {
        const keyId = keyIdArg(positionals);
        run = async (admin) => printIssued(io, "rotated", await admin.rotate(keyId));
        break;
      }
      case "revoke": {
        const keyId = keyIdArg(positionals);
        run = async (admin) => {
          const key = await admin.revoke(keyId);
          io.out(`revoked key ${key.keyId} (${key.name}) at ${key.revokedAt}`);
        };
        break;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n${USAGE}`);
    return 2;
  }

  const client = new pg.Client({ connectionString: databaseUrl, application_name: "netra-keys" });
  try {
    await client.connect();
    await run(keyAdmin(pgKeySql(client)));
    return 0;
  } catch (error) {
    io.err(error instanceof KeyAdminError ? error.message : `keys ${command} failed: ${describeError(error)}`);
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const databaseUrl = process.env.DATABASE_URL || localUrls().DATABASE_URL;
  const io: KeysIo = { out: (line) => console.log(line), err: (line) => console.error(line) };
  process.exitCode = await runKeys(process.argv.slice(2), databaseUrl, io);
}
