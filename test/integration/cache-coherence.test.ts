/**
 * Coherence across two cache instances (two isolates) over a real Redis behind
 * the local Upstash REST endpoint:
 * - Redis restarted without persistence, and separately its tag keys deleted,
 *   between writes and reads: no read is stale beyond the bound. The Redis here
 *   is private to this file (its own redis-server on a free port), so
 *   restarting it disturbs no other test.
 * - Concurrent cold reads split over two isolates load once, counted in
 *   Postgres (each load inserts a row), in every one of 100 trials.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { startUpstashEndpoint, type UpstashEndpoint } from "../../scripts/local/upstash/server.ts";
import { createTieredCache, upstashCacheStore } from "../../shared/cache/index.ts";
import type { TieredCache } from "../../shared/cache/types.ts";
import { UNCONFIRMED_VERSION } from "../../shared/cache/tag-sync.ts";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import { deadPort } from "./cache-proxy.ts";

const TOKEN = "coherence-test-token";
const BOUND_MS = 200;
const REDIS_TIMEOUT_MS = 1000;
const TAGS = ["public.users"];
const POLICY = { ttlSeconds: 60, swrSeconds: 0 };

let redisPort: number;
let redis: ChildProcess | undefined;
let endpoint: UpstashEndpoint;
let db: pg.Client;
const counterTable = `cache_loads_${randomUUID().replace(/-/g, "").slice(0, 12)}`;

async function startRedis(): Promise<void> {
  const child = spawn("redis-server", ["--bind", "127.0.0.1", "--port", String(redisPort), "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  redis = child;
  for (let i = 0; i < 100; i++) {
    const probe = spawn("redis-cli", ["-p", String(redisPort), "ping"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    probe.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => probe.on("close", resolve));
    if (out.includes("PONG")) return;
    await sleep(50);
  }
  throw new Error("redis-server did not start");
}

async function stopRedis(): Promise<void> {
  const child = redis;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
  redis = undefined;
}

function isolate(prefix: string): TieredCache {
  const client = upstashRedis({ url: endpoint.url, token: TOKEN, requestTimeoutMs: REDIS_TIMEOUT_MS, retries: 0 }, { raw: true });
  return createTieredCache({
    store: upstashCacheStore(client),
    options: { keyPrefix: prefix, tagCheckIntervalMs: BOUND_MS, redisTimeoutMs: REDIS_TIMEOUT_MS, breakerFailureThreshold: 1000, lockWaitMs: 5000 },
  });
}

/** Reads on `cache` until it serves `expected`, returning how long after `since` that was. */
async function convergence(cache: TieredCache, key: string, load: () => Promise<string>, expected: string, since: number): Promise<number> {
  for (;;) {
    const { value } = await cache.read(key, TAGS, load, POLICY);
    const elapsed = Date.now() - since;
    if (value === expected || elapsed > 10 * BOUND_MS + REDIS_TIMEOUT_MS) return elapsed;
    await sleep(10);
  }
}

beforeAll(async () => {
  redisPort = await deadPort();
  await startRedis();
  endpoint = await startUpstashEndpoint({ port: 0, redisUrl: `redis://127.0.0.1:${redisPort}`, token: TOKEN, log: () => undefined });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL ?? localUrls().DATABASE_URL });
  await db.connect();
  await db.query(`CREATE TABLE ${counterTable} (trial int NOT NULL)`);
});

afterAll(async () => {
  await db?.query(`DROP TABLE IF EXISTS ${counterTable}`);
  await db?.end();
  await endpoint?.close();
  await stopRedis();
});

describe("invalidation when Redis forgets", () => {
  for (const forget of ["restart", "evict"] as const) {
    it(`serves no value stale beyond the bound after Redis ${forget === "restart" ? "restarts without persistence" : "loses its tag keys"}`, async () => {
      const prefix = `coh:${forget}:${randomUUID()}:`;
      const a = isolate(prefix);
      const b = isolate(prefix);
      const row = { value: "v0" };
      const load = async () => row.value;
      let worst = 0;
      for (let round = 1; round <= 4; round++) {
        // Several writes so the versions the isolates hold are well above a restarted counter.
        for (let i = 0; i < 3; i++) await a.invalidate(TAGS);
        const key = "user:1";
        await a.read(key, TAGS, load, POLICY);
        await b.read(key, TAGS, load, POLICY);
        if (forget === "restart") {
          await stopRedis();
          await startRedis();
        } else {
          const raw = upstashRedis({ url: endpoint.url, token: TOKEN, requestTimeoutMs: 2000, retries: 0 }, { raw: true });
          const tagKeys = await raw.keys(`${prefix}t:*`);
          if (tagKeys.length > 0) await raw.del(...tagKeys);
        }
        // The endpoint may need a moment to reconnect: a write whose bump fails is replayed later,
        // so wait until Redis answers before the write under test.
        for (let i = 0; i < 100 && (await a.invalidate(["probe"])).get("probe") === UNCONFIRMED_VERSION; i++) await sleep(50);
        row.value = `v${round}`;
        const writer = round % 2 === 1 ? a : b;
        const reader = writer === a ? b : a;
        const wrote = Date.now();
        expect((await writer.invalidate(TAGS)).get(TAGS[0]!)).toBeLessThan(UNCONFIRMED_VERSION);
        expect((await writer.read(key, TAGS, load, POLICY)).value).toBe(row.value);
        worst = Math.max(worst, await convergence(reader, key, load, row.value, wrote));
        // A fresh isolate started now must not take an old value from L2 either.
        expect((await isolate(prefix).read(key, TAGS, load, POLICY)).value).toBe(row.value);
      }
      expect(worst).toBeLessThanOrEqual(BOUND_MS + REDIS_TIMEOUT_MS);
    }, 60_000);
  }
});

describe("one load per key across isolates", () => {
  it("loads once for concurrent cold reads split over two isolates, in each of 100 trials", async () => {
    const prefix = `coh:stampede:${randomUUID()}:`;
    const a = isolate(prefix);
    const b = isolate(prefix);
    const perTrial: number[] = [];
    for (let trial = 0; trial < 100; trial++) {
      const load = async () => {
        const { rows } = await db.query<{ trial: number }>(`INSERT INTO ${counterTable} (trial) VALUES ($1) RETURNING trial`, [trial]);
        return rows[0]!.trial;
      };
      // The second isolate starts a little later, by a different offset each trial, so some of its L2
      // lookups miss just before the first one's value lands (the race that loaded twice).
      const offsetMs = trial % 8;
      const reads = Array.from({ length: 8 }, async (_, i) => {
        if (i % 2) await sleep(offsetMs);
        return (i % 2 ? a : b).read(`cold:${trial}`, TAGS, load, POLICY);
      });
      const values = await Promise.all(reads);
      expect(values.every((r) => r.value === trial)).toBe(true);
      const { rows } = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${counterTable} WHERE trial = $1`, [trial]);
      perTrial.push(Number(rows[0]!.n));
    }
    expect(perTrial.filter((n) => n !== 1)).toEqual([]);
  }, 120_000);
});
