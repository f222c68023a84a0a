import { defineConfig } from "vitest/config";

/**
 * Fault injection (issue 8): a private stack on its own ports and state dir
 * (scripts/lib/fault-stack.ts), started by the global setup and stopped in its
 * teardown, whose dependencies the tests stop, pause and restart while traffic runs.
 * One file at a time: each fault owns the whole stack while it runs.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    globalSetup: ["test/faults/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
