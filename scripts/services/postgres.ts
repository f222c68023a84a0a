/**
 * PostgreSQL 15 for the local stack: a private cluster under the state dir, run as
 * the postgres user (initdb refuses root), pg_stat_statements preloaded and hypopg
 * installed, listening on 127.0.0.1 only.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalConfig } from "../lib/local-config.ts";
import { ensureDebianRequirements, type DebianRequirement } from "./debian.ts";
import { isAlive, portInUse, tail, waitFor } from "./process.ts";
import type { Service, ServiceStatus } from "./service.ts";

const PG_VERSION = "15";

function binDir(): string {
  return process.env.PG_BIN ?? `/usr/lib/postgresql/${PG_VERSION}/bin`;
}

function shareDir(): string {
  return process.env.PG_SHAREDIR ?? `/usr/share/postgresql/${PG_VERSION}`;
}

/** The binaries the stack runs (the server, initdb, pg_ctl, psql) and the hypopg extension, with their Debian packages. */
export function postgresRequirements(bin = binDir(), share = shareDir()): DebianRequirement[] {
  return [
    {
      what: `PostgreSQL ${PG_VERSION} server`,
      // postgresql-15 depends on postgresql-client-15 (psql) and postgresql-common (the postgres user).
      packages: [`postgresql-${PG_VERSION}`],
      present: () => ["postgres", "initdb", "pg_ctl", "psql"].every((binary) => existsSync(join(bin, binary))),
    },
    {
      what: "hypopg (PostgreSQL extension)",
      packages: [`postgresql-${PG_VERSION}-hypopg`],
      present: () => existsSync(join(share, "extension", "hypopg.control")),
    },
  ];
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("there is no postgres system user: install the postgresql-15 package (apt-get install -y postgresql-15)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Run a PostgreSQL binary as the postgres user when we are root (initdb and pg_ctl refuse root). */
function runAsPostgres(binary: string, args: string[], opts: { input?: string } = {}): string {
  const full = join(binDir(), binary);
  const [cmd, cmdArgs] = process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", full, ...args]] : [full, args];
  return execFileSync(cmd, cmdArgs, { encoding: "utf8", input: opts.input, stdio: ["pipe", "pipe", "pipe"], cwd: "/tmp" });
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, "postmaster.pid");
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
}

function psql(cfg: LocalConfig, database: string, sql: string): string {
  const socketDir = join(cfg.postgres.dataDir, "socket");
  return runAsPostgres("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socketDir, "-p", String(cfg.postgres.port), "-U", "postgres", "-d", database, "-At", "-c", sql]);
}

export function postgresService(cfg: LocalConfig): Service {
  const root = cfg.postgres.dataDir;
  const dataDir = join(root, "data");
  const socketDir = join(root, "socket");
  // Inside the postgres-owned directory: pg_ctl writes it as that user.
  const logFile = join(root, "postgres.log");

  function install(): void {
    ensureDebianRequirements(postgresRequirements());
  }

  function initCluster(): void {
    if (existsSync(join(dataDir, "PG_VERSION"))) return;
    const { uid, gid } = postgresUser();
    for (const dir of [root, dataDir, socketDir]) mkdirSync(dir, { recursive: true });
    for (const dir of [root, dataDir, socketDir]) chownSync(dir, uid, gid);
    runAsPostgres("initdb", ["-D", dataDir, "-U", "postgres", "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256"]);
    appendFileSync(
      join(dataDir, "postgresql.conf"),
      [
        "",
        "# netra-edge local stack",
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${socketDir}'`,
        "shared_preload_libraries = 'pg_stat_statements'",
        "pg_stat_statements.track = all",
        "max_connections = 200",
        // A throwaway development cluster: durability traded for speed.
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "",
      ].join("\n"),
    );
  }

  /** The application role and database, and the extensions that need a superuser to create. */
  function bootstrap(): void {
    const { user, password, database } = cfg.postgres;
    psql(
      cfg,
      "postgres",
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${user}') THEN
           CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '${password}';
         END IF;
       END $$; GRANT pg_read_all_stats TO ${user};`,
    );
    const exists = psql(cfg, "postgres", `SELECT 1 FROM pg_database WHERE datname = '${database}'`).trim();
    if (exists !== "1") psql(cfg, "postgres", `CREATE DATABASE ${database} OWNER ${user}`);
    // template1 too, so throwaway test databases start with the extensions.
    for (const db of ["template1", database]) {
      psql(
        cfg,
        db,
        `CREATE EXTENSION IF NOT EXISTS pg_stat_statements; CREATE EXTENSION IF NOT EXISTS hypopg;
         GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO ${user};`,
      );
    }
  }

  return {
    name: "postgres",
    port: cfg.postgres.port,
    logFile,
    async up() {
      install();
      initCluster();
      const running = postmasterPid(dataDir);
      if (running === undefined) {
        if (await portInUse(cfg.postgres.port)) {
          throw new Error(`port ${cfg.postgres.port} is in use by another process: stop it or set NETRA_PG_PORT`);
        }
        try {
          runAsPostgres("pg_ctl", ["-D", dataDir, "-l", logFile, "-o", `-p ${cfg.postgres.port}`, "-w", "-t", "30", "start"]);
        } catch (error) {
          const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
          throw new Error(`postgres did not start: ${stderr || (error as Error).message}; last lines of ${logFile}:\n${tail(logFile)}`);
        }
      }
      await waitFor("postgres", () => portInUse(cfg.postgres.port), { timeoutMs: 30_000 });
      bootstrap();
      return running === undefined ? "started" : "already up";
    },
    async down() {
      if (postmasterPid(dataDir) === undefined) return "not running";
      runAsPostgres("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "30", "stop"]);
      return "stopped";
    },
    async status(): Promise<ServiceStatus> {
      const pid = postmasterPid(dataDir);
      return { pid, up: pid !== undefined && (await portInUse(cfg.postgres.port)), url: `postgres://127.0.0.1:${cfg.postgres.port}/${cfg.postgres.database}` };
    },
  };
}
