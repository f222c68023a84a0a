/**
 * The query optimizer against the real local stack: Postgres through the local
 * Neon endpoint (HTTP neon() and WebSocket Pool), and the real tiered cache over
 * Upstash REST + Redis. Each run works in its own schema and Redis key prefix.
 */
import { neonConfig } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { cacheOptionsFromConfig, createTieredCache, upstashCacheStore } from "../../shared/cache/index.ts";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import type { TieredCache } from "../../shared/cache/types.ts";
import { loadConfig, type AppConfig } from "../../shared/config.ts";
import { createNeonExecutor } from "../../shared/db/executor.ts";
import { queryPolicyFromConfig } from "../../shared/db/query-policy.ts";
import { createQueryOptimizer } from "../../shared/db/query-optimizer.ts";
import { StatementTimeoutError, type QueryOptimizer } from "../../shared/db/query-types.ts";

const urls = localUrls();
const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `qopt_${SUFFIX}`;
const ITEMS = `${SCHEMA}.items`;
const KEY_PREFIX = `test:qopt:${SUFFIX}:`;
const TIMEOUT_MS = 300;

function configWith(extra: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: process.env.DATABASE_URL ?? urls.DATABASE_URL,
    NEON_LOCAL_ENDPOINT: process.env.NEON_LOCAL_ENDPOINT ?? urls.NEON_LOCAL_ENDPOINT,
    UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? urls.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN ?? urls.UPSTASH_REDIS_REST_TOKEN,
    STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS),
    QUERY_TABLE_CLASSES: `${ITEMS}=user`,
    ...extra,
  });
}

/** A fresh "isolate": its own L1, the shared Redis. */
function isolateCache(config: AppConfig): TieredCache {
  return createTieredCache({
    store: upstashCacheStore(upstashRedis(config.redis, { raw: true })),
    options: { ...cacheOptionsFromConfig(config.cache, KEY_PREFIX), tagCheckIntervalMs: 0 },
  });
}

function optimizerFor(config: AppConfig, cache = isolateCache(config)): QueryOptimizer {
  return createQueryOptimizer({
    executor: createNeonExecutor(config.postgres, { statementTimeoutMs: config.query.statementTimeoutMs }),
    cache,
    policy: queryPolicyFromConfig(config),
  });
}

let config: AppConfig;
let optimizer: QueryOptimizer;

beforeAll(async () => {
  neonConfig.webSocketConstructor = ws;
  config = configWith();
  optimizer = optimizerFor(config);
  const admin = createNeonExecutor(config.postgres, { statementTimeoutMs: 10_000 });
  await admin.run(`CREATE SCHEMA ${SCHEMA}`, [], { readOnly: false });
  await admin.run(`CREATE TABLE ${ITEMS} (id int PRIMARY KEY, name text NOT NULL)`, [], { readOnly: false });
  await admin.run(`INSERT INTO ${ITEMS} VALUES (1, 'one'), (2, 'two'), (3, 'three')`, [], { readOnly: false });
});

afterAll(async () => {
  const admin = createNeonExecutor(config.postgres, { statementTimeoutMs: 10_000 });
  await admin.run(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`, [], { readOnly: false });
  const redis = upstashRedis(config.redis);
  const keys = await redis.keys(`${KEY_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("query optimizer on the real stack", () => {
  it("caches a read: the second read is an L1 hit, another isolate gets it from L2", async () => {
    const sql = `select id, name from ${ITEMS} where id = $1`;
    const first = await optimizer.read<{ id: number; name: string }>(sql, [1]);
    const second = await optimizer.read<{ id: number; name: string }>(sql, [1]);
    expect(first.tier).toBe("miss");
    expect(first.rows).toEqual([{ id: 1, name: "one" }]);
    expect(second.tier).toBe("l1");
    expect(second.rows).toEqual(first.rows);
    const other = await optimizerFor(config).read(sql, [1]);
    expect(other.tier).toBe("l2");
    expect(other.rows).toEqual(first.rows);
  });

  it("a read after a write returns the new value", async () => {
    const sql = `select name from ${ITEMS} where id = $1`;
    expect((await optimizer.read(sql, [2])).rows).toEqual([{ name: "two" }]);
    expect((await optimizer.read(sql, [2])).tier).toBe("l1");
    const written = await optimizer.write(`update ${ITEMS} set name = $1 where id = $2`, ["TWO", 2]);
    expect(written.rowCount).toBe(1);
    const after = await optimizer.read(sql, [2]);
    expect(after.tier).toBe("miss");
    expect(after.rows).toEqual([{ name: "TWO" }]);
  });

  it("a write in one isolate invalidates another isolate's L1 (tag versions in Redis)", async () => {
    const sql = `select name from ${ITEMS} where id = $1`;
    const other = optimizerFor(config);
    await other.read(sql, [3]);
    expect((await other.read(sql, [3])).tier).toBe("l1");
    await optimizer.write(`update ${ITEMS} set name = $1 where id = $2`, ["THREE", 3]);
    const after = await other.read(sql, [3]);
    expect(after.rows).toEqual([{ name: "THREE" }]);
  });

  it("a transaction over WebSocket commits and invalidates every table written", async () => {
    const sql = `select count(*)::int as n from ${ITEMS}`;
    expect((await optimizer.read(sql, [])).rows).toEqual([{ n: 3 }]);
    const inserted = await optimizer.transaction(async (tx) => {
      await tx.query(`insert into ${ITEMS} values ($1, $2)`, [4, "four"]);
      const { rows } = await tx.query<{ n: number }>(sql);
      return rows[0]?.n;
    });
    expect(inserted).toBe(4);
    const after = await optimizer.read(sql, []);
    expect(after.tier).toBe("miss");
    expect(after.rows).toEqual([{ n: 4 }]);
  });

  it("a failed transaction rolls back", async () => {
    await expect(
      optimizer.transaction(async (tx) => {
        await tx.query(`insert into ${ITEMS} values ($1, $2)`, [5, "five"]);
        await tx.query(`insert into ${ITEMS} values ($1, $2)`, [5, "dup"]);
      }),
    ).rejects.toMatchObject({ code: "db_error", sqlState: "23505" });
    const { rows } = await optimizer.read(`select count(*)::int as n from ${ITEMS} where id = $1`, [5]);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("volatile reads bypass the cache", async () => {
    const sql = `select id, now() as at from ${ITEMS} where id = $1`;
    const first = await optimizer.read(sql, [1]);
    const second = await optimizer.read(sql, [1]);
    expect([first.tier, second.tier]).toEqual(["bypass", "bypass"]);
  });

  it("applies the statement timeout on every HTTP statement and cancels a longer one", async () => {
    const setting = await optimizer.read<{ t: string }>("select current_setting('statement_timeout') as t", []);
    expect(setting.rows).toEqual([{ t: `${TIMEOUT_MS}ms` }]);
    const error = await optimizer.read("select pg_sleep(3)", []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementTimeoutError);
    expect(error).toMatchObject({ code: "statement_timeout", sqlState: "57014" });
  });

  it("applies the statement timeout inside transactions on the WebSocket Pool", async () => {
    const error = await optimizer
      .transaction(async (tx) => {
        const { rows } = await tx.query<{ t: string }>("select current_setting('statement_timeout') as t");
        expect(rows).toEqual([{ t: `${TIMEOUT_MS}ms` }]);
        await tx.query("select pg_sleep(3)");
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementTimeoutError);
  });

  it("records a slow query with its parameter shape and plan when plans are enabled", async () => {
    const slowConfig = configWith({ SLOW_QUERY_THRESHOLD_MS: "50", QUERY_EXPLAIN_SLOW: "1", STATEMENT_TIMEOUT_MS: "10000" });
    const slowOptimizer = optimizerFor(slowConfig);
    await slowOptimizer.read(`select id, pg_sleep(0.1) from ${ITEMS} where id = $1 and name <> $2`, [1, "secret"]);
    const [record] = slowOptimizer.stats().slowQueries;
    expect(record).toBeDefined();
    expect(record?.paramShape).toEqual(["int", "text"]);
    expect(record?.durationMs).toBeGreaterThanOrEqual(50);
    expect(JSON.stringify(record)).not.toContain("secret");
    const plan = record?.plan as { Plan?: { "Node Type"?: string } }[] | undefined;
    expect(plan?.[0]?.Plan?.["Node Type"]).toBeTypeOf("string");
  });
});
