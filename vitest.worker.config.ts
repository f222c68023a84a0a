import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { localUrls } from "./scripts/lib/local-config.ts";

/**
 * Worker tests: they run INSIDE workerd (Miniflare) against the real local stack.
 * Service locations come from the environment (scripts/test.ts exports them) with
 * the local stack's defaults, and reach the Worker as bindings.
 */
const SERVICE_VARIABLES = [
  "DATABASE_URL",
  "NEON_LOCAL_ENDPOINT",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "CLICKHOUSE_URL",
  "CLICKHOUSE_USER",
  "CLICKHOUSE_PASSWORD",
  "CLICKHOUSE_DATABASE",
] as const;

function serviceBindings(): Record<string, string> {
  const defaults = localUrls();
  const bindings: Record<string, string> = {};
  for (const name of SERVICE_VARIABLES) bindings[name] = process.env[name] ?? defaults[name];
  bindings.API_ADMIN_KEY = process.env.API_ADMIN_KEY ?? "netra-local-admin-key";
  // Rate limits stay on (every request still checks Redis) but far above what any test
  // sends: only the access tests, which set their own limits, see a 429. Request log
  // lines are off to keep test output readable (test/worker/access-logs.test.ts turns them on).
  bindings.RATE_LIMIT_KEY_REQUESTS = "1000000";
  bindings.RATE_LIMIT_IP_REQUESTS = "1000000";
  bindings.RATE_LIMIT_LOGIN_REQUESTS = "1000000";
  bindings.LOG_REQUESTS = "0";
  // The harness waits on every request's execution context, and a request's waitUntil
  // holds until its metrics events are stored: with the production 500 ms flush interval
  // every call would take up to half a second, so each request flushes its own events
  // here (tests of the interval itself set their own value).
  bindings.BATCH_FLUSH_INTERVAL_MS = "0";
  return bindings;
}

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { ...serviceBindings(), TEST_BLACKHOLE_URL: inject("blackholeUrl") },
      },
    })),
  ],
  test: {
    include: ["test/worker/**/*.test.ts"],
    globalSetup: ["test/worker/global-setup.ts", "test/worker/api-global-setup.ts", "test/worker/fuzz-global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
