import { defineConfig } from "vitest/config";

/** End-to-end tests: real `wrangler dev` / `partykit dev` processes over loopback. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
  },
});
