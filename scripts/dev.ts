/**
 * `npm run dev`: the whole system on this machine. Brings the local services up,
 * migrates, seeds a small demo data set, starts one `wrangler dev` (API, cron and the
 * rooms' Durable Objects),
 * prints the URLs, and on Ctrl-C stops everything it started (and nothing else).
 * Arguments go to `wrangler dev` (`npm run dev -- --var BATCH_FLUSH_INTERVAL_MS:500`).
 * Stopping drains the Worker's metrics first (scripts/lib/dev-servers.ts).
 */
import { localConfig, localUrls } from "./lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "./lib/dev-servers.ts";
import { servicesDown, servicesUp } from "./services.ts";
import { LOCAL_ADMIN_KEY } from "./services/stack.ts";
import { migrateClickHouse, migratePostgres } from "./migrate.ts";
import { seedDatabase } from "./seed.ts";

const DEMO = { users: 200, auditLogs: 5_000, agentStates: 300, seed: 42 };

async function main(): Promise<void> {
  const cfg = localConfig();
  const urls = localUrls(cfg);
  const servers: DevServer[] = [];
  let startedServices: string[] = [];
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\n[dev] stopping…");
    for (const server of servers.reverse()) await server.stop();
    if (startedServices.length > 0) await servicesDown(startedServices);
    console.log("[dev] stopped");
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    startedServices = await servicesUp();
    await migratePostgres(urls.DATABASE_URL);
    await migrateClickHouse({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD, database: urls.CLICKHOUSE_DATABASE });
    const seeded = await seedDatabase(urls.DATABASE_URL, { ...DEMO, ifEmpty: true });
    console.log(seeded ? `[dev] seeded demo data (${DEMO.users} users, ${DEMO.auditLogs} audit logs)` : "[dev] demo data already present");

    const wrangler = startWrangler(cfg, { extraArgs: process.argv.slice(2) });
    servers.push(wrangler);
    const health = await waitForHttp(`${wrangler.url}/health`, { server: wrangler, ok: (s) => s === 200 || s === 503 });
    console.log(`
[dev] netra-edge is running (Ctrl-C stops everything)
  API        ${wrangler.url}        (Authorization: Bearer ${LOCAL_ADMIN_KEY})
  health     ${wrangler.url}/health  -> ${health.status}
  cron       ${wrangler.url}/__scheduled?cron=*+*+*+*+*
  rooms      ${wrangler.url.replace(/^http/, "ws")}/parties/main/<room>?token=...  (token: POST /v1/rooms/<room>/token)
  Postgres   ${urls.DATABASE_URL}
  Redis      ${urls.UPSTASH_REDIS_REST_URL} (Upstash REST)  ${urls.REDIS_URL}
  ClickHouse ${urls.CLICKHOUSE_URL}
`);
    for (const server of servers) {
      server.child.once("exit", (code) => {
        if (!stopping) {
          console.error(`[dev] ${server.name} exited (code ${code}); stopping the rest`);
          void shutdown(1);
        }
      });
    }
  } catch (error) {
    console.error(`[dev] ${(error as Error).message}`);
    await shutdown(1);
  }
}

void main();
