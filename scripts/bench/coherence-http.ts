/**
 * The cross-isolate parts of `npm run bench -- coherence`, through two `wrangler dev`
 * isolates on one Redis: read-your-writes with the consistency token, staleness without
 * it, reads after Redis forgets, and the stampede across isolates.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import { localUrls } from "../lib/local-config.ts";
import { servicesDown, servicesUp } from "../services.ts";
import type { BenchDatabase } from "./cache-fixture.ts";

export interface Isolate {
  url: string;
  adminKey: string;
}

const TOKEN_HEADER = "x-netra-consistency";

async function call(target: Isolate, path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${target.adminKey}` };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.token) headers[TOKEN_HEADER] = init.token;
  const res = await fetch(`${target.url}${path}`, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, token: res.headers.get(TOKEN_HEADER), tier: res.headers.get("x-cache"), json, at: Date.now() };
}

const rename = (target: Isolate, id: string, name: string) => call(target, `/v1/users/${id}`, { method: "PATCH", body: { displayName: name } });
const displayName = async (target: Isolate, id: string, token?: string | null) => (await call(target, `/v1/users/${id}`, { token })).json.displayName;

export interface RywResult {
  trials: number;
  stale: number;
  /** Reads without the token right after the write (same isolate, same moment) that were stale: why the token matters. */
  controlStale: number;
  missingToken: number;
  errors: number;
}

/** Write on one isolate, read on the other with the write's token; lanes run in parallel on disjoint users. */
export async function readYourWrites(a: Isolate, b: Isolate, ids: string[], trials: number, lanes = 4): Promise<RywResult> {
  const result: RywResult = { trials, stale: 0, controlStale: 0, missingToken: 0, errors: 0 };
  for (const id of ids) for (const target of [a, b]) await displayName(target, id);
  const perLane = Math.ceil(ids.length / lanes);
  let done = 0;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const pool = ids.slice(lane * perLane, (lane + 1) * perLane);
      for (let i = 0; ; i++) {
        const trial = done++;
        if (trial >= trials) return;
        const id = pool[i % pool.length]!;
        const [writer, reader] = trial % 2 === 0 ? [a, b] : [b, a];
        const expected = `ryw-${trial}`;
        // The reader holds the current value, checked against Redis just now: without the token it
        // would serve it for up to the bound after the write.
        await displayName(reader, id);
        const wrote = await rename(writer, id, expected);
        if (wrote.status !== 200) {
          result.errors++;
          continue;
        }
        if (!wrote.token) result.missingToken++;
        if ((await displayName(reader, id)) !== expected) result.controlStale++;
        if ((await displayName(reader, id, wrote.token)) !== expected) result.stale++;
      }
    }),
  );
  return result;
}

export interface BoundResult {
  trials: number;
  staleBeyondBound: number;
  worstStalenessMs: number;
  errors: number;
}

/** Write on A without a token, poll B until it serves the write: how long B served the old value. */
export async function staleness(a: Isolate, b: Isolate, ids: string[], trials: number, boundMs: number, parallel = 10): Promise<BoundResult> {
  const result: BoundResult = { trials, staleBeyondBound: 0, worstStalenessMs: 0, errors: 0 };
  for (let start = 0; start < trials; start += parallel) {
    await Promise.all(
      ids.slice(0, Math.min(parallel, trials - start)).map(async (id, j) => {
        const expected = `bound-${start + j}`;
        await displayName(b, id);
        const wrote = await rename(a, id, expected);
        if (wrote.status !== 200) {
          result.errors++;
          return;
        }
        for (;;) {
          const issued = Date.now();
          const read = await call(b, `/v1/users/${id}`);
          if (read.json.displayName === expected) return;
          result.worstStalenessMs = Math.max(result.worstStalenessMs, read.at - wrote.at);
          if (issued - wrote.at > boundMs) result.staleBeyondBound++;
          if (read.at - wrote.at > 10 * boundMs) return;
          await sleep(20);
        }
      }),
    );
  }
  return result;
}

export interface ResetResult {
  rounds: number;
  reads: number;
  staleReads: number;
  writerStaleReads: number;
}

async function deleteTagKeys(): Promise<void> {
  const urls = localUrls();
  const redis = upstashRedis({ url: urls.UPSTASH_REDIS_REST_URL, token: urls.UPSTASH_REDIS_REST_TOKEN, requestTimeoutMs: 5000, retries: 0 }, { raw: true });
  const keys = await redis.keys("*t:public.*");
  if (keys.length > 0) await redis.del(...keys);
}

/**
 * Rounds of: values cached on both isolates after several writes; Redis restarted without
 * persistence (odd rounds) or its tag keys deleted (even rounds); new writes on one isolate;
 * reads on the writer at once and on both after the bound. Stale: any read of an old value then.
 */
export async function redisForgets(a: Isolate, b: Isolate, ids: string[], rounds: number, boundMs: number): Promise<ResetResult> {
  const result: ResetResult = { rounds, reads: 0, staleReads: 0, writerStaleReads: 0 };
  for (let round = 0; round < rounds; round++) {
    for (let w = 0; w < 3; w++) for (const id of ids) await rename(a, id, `before-${round}-${w}`);
    for (const id of ids) for (const target of [a, b]) await displayName(target, id);
    if (round % 2 === 0) {
      await servicesDown(["redis"], () => undefined);
      await servicesUp(() => undefined);
    } else {
      await deleteTagKeys();
    }
    await sleep(300);
    const [writer, other] = round % 4 < 2 ? [a, b] : [b, a];
    for (const id of ids) {
      const expected = `after-${round}`;
      await rename(writer, id, expected);
      result.reads++;
      if ((await displayName(writer, id)) !== expected) result.writerStaleReads++;
    }
    await sleep(boundMs + 50);
    for (const id of ids) {
      for (const target of [other, writer]) {
        result.reads++;
        if ((await displayName(target, id)) !== `after-${round}`) result.staleReads++;
      }
    }
  }
  return result;
}

/** Concurrent cold reads of one never-read user split over both isolates; loads counted by pg_stat_statements. */
export async function stampedes(a: Isolate, b: Isolate, db: BenchDatabase, ids: string[], perTrial = 20): Promise<number[]> {
  const loads: number[] = [];
  for (const id of ids) {
    const before = await db.byIdCalls();
    const reads = await Promise.all(Array.from({ length: perTrial }, (_, i) => call(i % 2 ? a : b, `/v1/users/${id}`)));
    if (reads.some((r) => r.status !== 200)) throw new Error(`stampede read failed: ${reads.map((r) => r.status).join(",")}`);
    loads.push((await db.byIdCalls()) - before);
  }
  return loads;
}
