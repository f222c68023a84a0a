/// <reference types="@cloudflare/vitest-plugin/types" />
// The bindings vitest.worker.config.ts gives the Worker under test.
type NetraWorkerTestEnv = import("../../functions/env.ts").Env;

declare namespace Cloudflare {
  interface Env extends NetraWorkerTestEnv {
    /** An http URL whose server accepts connections and never answers. */
    TEST_BLACKHOLE_URL: string;
  }
}
