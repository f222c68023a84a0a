/**
 * Request events reach ClickHouse without a later request to carry them, and are not
 * stranded when the dev stack stops or its isolate is replaced right after the last
 * response: each event stored exactly once. Real `wrangler dev` on port 8898 (alone, and
 * under `npm run dev`), real local ClickHouse.
 *
 * The SIGINT cases fail without the drain in scripts/lib/dev-servers.ts: wrangler kills
 * workerd 110-230 ms after SIGINT, before the insert in flight and the events queued
 * behind it are out (README, "Metrics freshness"). They run with a 1 s flush interval so
 * that, without the drain, the last events are certainly still queued at SIGINT (with
 * the default interval it is a race the insert sometimes wins); `npm run bench --
 * metrics` measures the default as `stranded_events`.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localConfig, localUrls } from "../../scripts/lib/local-config.ts";
import { repoRoot, startWrangler, waitForHttp, type DevServer } from "../../scripts/lib/dev-servers.ts";
import { measureFreshness, measureStranded, startUserDev, type DeliveryTarget, type DevInterrupt } from "../../scripts/bench/metrics-delivery.ts";

const urls = localUrls();
const PORTS = { port: 8898, inspectorPort: 9498 };
const runId = Math.random().toString(36).slice(2, 10);
let ch: ClickHouseClient;
let target: DeliveryTarget;
let server: DevServer | undefined;

async function startDev(): Promise<DevServer> {
  const started = startWrangler({ ...localConfig(), wrangler: PORTS }, { quiet: true });
  await waitForHttp(`${started.url}/health`, { server: started, ok: () => true });
  return started;
}

beforeAll(() => {
  ch = createClient({ url: urls.CLICKHOUSE_URL, username: urls.CLICKHOUSE_USER, password: urls.CLICKHOUSE_PASSWORD });
  target = { client: ch, database: urls.CLICKHOUSE_DATABASE };
});

afterAll(async () => {
  await server?.stop();
  await ch.command({ query: `DELETE FROM ${target.database}.request_events WHERE request_id LIKE {p:String}`, query_params: { p: `%-${runId}-%` } }).catch(() => undefined);
  await ch.close();
});

describe("metrics delivery through wrangler dev", () => {
  it("stores a lone request's event with no later request, within 2 s", async () => {
    server = await startDev();
    const result = await measureFreshness(server, target, { requests: 3, spacingMs: 3000, runId });
    expect(result.lagsMs.every((lag) => lag < 2000)).toBe(true);
  }, 120_000);

  it("keeps every event, once each, when a code change reloads the isolate right after the last response", async () => {
    server ??= await startDev();
    const entry = join(repoRoot, "functions/index.ts");
    const source = readFileSync(entry, "utf8");
    const running = server;
    try {
      const result = await measureStranded(running, target, {
        n: 30,
        concurrency: 1,
        runId: `reload-${runId}`,
        interrupt: async () => writeFileSync(entry, `${source}\n// reload ${runId}\n`),
        settleMs: 6000,
      });
      expect(result).toEqual({ sent: 30, stored: 30, missing: 0, duplicated: 0 });
    } finally {
      writeFileSync(entry, source);
    }
  }, 120_000);

  for (const [how, label] of [["ctrl-c", "Ctrl-C stops `npm run dev` (SIGINT to its process group)"], ["sigint-dev-process", "SIGINT goes to the dev process alone"]] as const) {
    it(`keeps every event, once each, when ${label} right after the last response`, async () => {
      await server?.stop();
      server = undefined;
      const dev = await startUserDev(PORTS, how as DevInterrupt, ["--var", "BATCH_FLUSH_INTERVAL_MS:1000"]);
      try {
        let exitCode: number | null | undefined;
        const result = await measureStranded(dev, target, {
          n: 30,
          concurrency: 1,
          runId: `${how}-${runId}`,
          interrupt: async () => void (exitCode = await dev.interrupt(how)),
          settleMs: 1000,
        });
        expect(exitCode).toBe(0);
        expect(result).toEqual({ sent: 30, stored: 30, missing: 0, duplicated: 0 });
      } finally {
        await dev.stop();
      }
    }, 300_000);
  }
});
