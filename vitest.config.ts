import { defineConfig } from "vitest/config";

/**
 * Node-side tests: pure unit tests and integration tests against the real local
 * services (started by scripts/test.ts, or `npm run services -- up`).
 * Worker tests (inside workerd) have their own config: vitest.worker.config.ts.
 */
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
