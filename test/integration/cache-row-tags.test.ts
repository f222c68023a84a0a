/**
 * Row-precise invalidation against the real stack: two optimizers (two isolates)
 * over Postgres (local Neon endpoint) and one Redis (local Upstash endpoint).
 * Each case warms reads by id and list reads on both isolates, writes on one,
 * then checks every read against the database: at once on the writer, after the
 * staleness bound on the other. Also checks that a row write leaves other rows'
 * cached reads alone (what row tags are for).
 */
import { neonConfig } from "@neondatabase/serverless";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { cacheOptionsFromConfig, createTieredCache, upstashCacheStore } from "../../shared/cache/index.ts";
import { upstashRedis } from "../../shared/cache/upstash-client.ts";
import { loadConfig, type AppConfig } from "../../shared/config.ts";
import { createNeonExecutor } from "../../shared/db/executor.ts";
import { queryPolicyFromConfig } from "../../shared/db/query-policy.ts";
import { createQueryOptimizer } from "../../shared/db/query-optimizer.ts";
import { QueryError, type QueryOptimizer, type SqlExecutor } from "../../shared/db/query-types.ts";

const urls = localUrls();
const SUFFIX = `${process.pid}_${Date.now().toString(36)}`;
const SCHEMA = `rowtags_${SUFFIX}`;
const ITEMS = `${SCHEMA}.items`;
const NOTES = `${SCHEMA}.notes`;
const KEY_PREFIX = `test:rowtags:${SUFFIX}:`;
const BOUND_MS = 150;

let config: AppConfig;
let admin: SqlExecutor;
/** When set, the writer's next statement commits and then reports a lost connection (outcome unknown). */
let loseNextReply = false;
let writer: QueryOptimizer;
let other: QueryOptimizer;

function isolate(executor: SqlExecutor): QueryOptimizer {
  const cache = createTieredCache({
    store: upstashCacheStore(upstashRedis(config.redis, { raw: true })),
    options: { ...cacheOptionsFromConfig(config.cache, KEY_PREFIX), tagCheckIntervalMs: BOUND_MS, redisTimeoutMs: 2000 },
  });
  return createQueryOptimizer({ executor, cache, policy: queryPolicyFromConfig(config) });
}

/** The reads each case checks: by id (row tags) for every id in play, and list reads (list tags). */
const READS: [string, unknown[]][] = [
  ...[1, 2, 3, 4, 5, 50, 51, 60].map((id): [string, unknown[]] => [`SELECT id, name, grp FROM ${ITEMS} WHERE id = $1`, [String(id)]]),
  [`SELECT id, name FROM ${ITEMS} WHERE grp = $1 ORDER BY id`, [1]],
  [`SELECT id, name FROM ${ITEMS} WHERE grp = $1 ORDER BY id`, [2]],
  [`SELECT count(*)::int AS n FROM ${ITEMS}`, []],
  [`SELECT item_id, body FROM ${NOTES} ORDER BY item_id, body`, []],
];

async function truth(sql: string, params: unknown[]): Promise<unknown> {
  return (await admin.run(sql, params, { readOnly: true })).rows;
}

async function served(optimizer: QueryOptimizer, sql: string, params: unknown[]): Promise<unknown> {
  return (await optimizer.read(sql, params)).rows;
}

/** Warms every read on both isolates, runs `write` on the writer, then compares every read with the database. */
async function check(write: () => Promise<unknown>): Promise<void> {
  for (const [sql, params] of READS) {
    await served(writer, sql, params);
    await served(other, sql, params);
  }
  await write().catch((error: unknown) => {
    if (!(error instanceof QueryError && error.code === "db_unavailable")) throw error;
  });
  for (const [sql, params] of READS) expect(await served(writer, sql, params), `writer: ${sql} ${params}`).toEqual(await truth(sql, params));
  await sleep(BOUND_MS + 20);
  for (const [sql, params] of READS) expect(await served(other, sql, params), `other isolate: ${sql} ${params}`).toEqual(await truth(sql, params));
}

beforeAll(async () => {
  neonConfig.webSocketConstructor = ws;
  config = loadConfig({
    DATABASE_URL: process.env.DATABASE_URL ?? urls.DATABASE_URL,
    NEON_LOCAL_ENDPOINT: process.env.NEON_LOCAL_ENDPOINT ?? urls.NEON_LOCAL_ENDPOINT,
    UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? urls.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN ?? urls.UPSTASH_REDIS_REST_TOKEN,
  });
  admin = createNeonExecutor(config.postgres, { statementTimeoutMs: 10_000 });
  const flaky: SqlExecutor = {
    ...admin,
    async run(sql, params, opts) {
      const result = await admin.run(sql, params, opts);
      if (loseNextReply && !opts.readOnly) {
        loseNextReply = false;
        throw new QueryError("db_unavailable", "connection lost after the statement was sent");
      }
      return result;
    },
  } as SqlExecutor;
  writer = isolate(flaky);
  other = isolate(admin);
  await admin.run(`CREATE SCHEMA ${SCHEMA}`, [], { readOnly: false });
  await admin.run(`CREATE TABLE ${ITEMS} (id int PRIMARY KEY, name text NOT NULL, grp int NOT NULL)`, [], { readOnly: false });
  await admin.run(`CREATE TABLE ${NOTES} (item_id int NOT NULL, body text NOT NULL)`, [], { readOnly: false });
  await admin.run(`INSERT INTO ${ITEMS} VALUES (1, 'one', 1), (2, 'two', 1), (3, 'three', 2), (4, 'four', 2), (5, 'five', 2)`, [], { readOnly: false });
});

afterAll(async () => {
  await admin.run(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`, [], { readOnly: false });
  const redis = upstashRedis(config.redis);
  const keys = await redis.keys(`${KEY_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("row-precise invalidation: no stale read beyond the bound", () => {
  const cases: [string, () => Promise<unknown>][] = [
    ["UPDATE ... WHERE id = $n", () => writer.write(`UPDATE ${ITEMS} SET name = $1 WHERE id = $2`, ["uno", "1"])],
    ["data-modifying CTE that also writes another table", () =>
      writer.write(`WITH w AS (UPDATE ${ITEMS} SET name = $1 WHERE id = $2 RETURNING id::text AS id, name),
        n AS (INSERT INTO ${NOTES} (item_id, body) SELECT id::int, $3 FROM w) SELECT * FROM w`, ["dos", "2", "renamed"])],
    ["INSERT ... RETURNING id of an id read before as missing", () => writer.write(`INSERT INTO ${ITEMS} VALUES ($1, $2, $3) RETURNING id`, [50, "fifty", 1])],
    ["upsert that updates", () =>
      writer.write(`INSERT INTO ${ITEMS} (id, name, grp) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name, grp = excluded.grp RETURNING *`, [3, "tres", 1])],
    ["upsert that inserts, inside a CTE", () =>
      writer.write(`WITH u AS (INSERT INTO ${ITEMS} (id, name, grp) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name RETURNING id) SELECT * FROM u`, [51, "fifty-one", 2])],
    ["multi-row UPDATE by id = any($n)", () => writer.write(`UPDATE ${ITEMS} SET name = name || '!' WHERE id = ANY($1::int[])`, [[1, 2, 51]])],
    ["multi-row UPDATE bounded by RETURNING", () => writer.write(`UPDATE ${ITEMS} SET grp = 3 - grp WHERE grp = $1 RETURNING id`, [2])],
    ["multi-row UPDATE it cannot bound (no RETURNING)", () => writer.write(`UPDATE ${ITEMS} SET name = upper(name) WHERE grp = $1`, [1])],
    ["UPDATE that changes an id", () => writer.write(`UPDATE ${ITEMS} SET id = $1 WHERE id = $2`, [60, 4])],
    ["DELETE ... WHERE $n = id", () => writer.write(`DELETE FROM ${ITEMS} WHERE $1 = id`, [60])],
    ["a write by another statement text to a row", () => writer.write(`UPDATE ${ITEMS} i SET grp = grp WHERE i.id = $1::int AND name <> ''`, ["5"])],
    ["unknown outcome, bounded by parameter", async () => {
      loseNextReply = true;
      await writer.write(`UPDATE ${ITEMS} SET name = $1 WHERE id = $2`, ["lost-but-landed", "5"]);
    }],
    ["unknown outcome of an INSERT known only by RETURNING", async () => {
      loseNextReply = true;
      await writer.write(`INSERT INTO ${ITEMS} VALUES ($1, $2, $3) RETURNING id`, [4, "four again", 2]);
    }],
  ];
  for (const [name, write] of cases) it(name, () => check(write), 20_000);
});

describe("row tags spare other rows", () => {
  it("keeps serving other rows from L1 on both isolates after a single-row write", async () => {
    const byId = `SELECT id, name, grp FROM ${ITEMS} WHERE id = $1`;
    for (const o of [writer, other]) for (const id of ["1", "2"]) await o.read(byId, [id]);
    await writer.write(`UPDATE ${ITEMS} SET name = $1 WHERE id = $2`, ["changed", "1"]);
    await sleep(BOUND_MS + 20);
    expect((await other.read(byId, ["2"])).tier).toBe("l1");
    expect((await writer.read(byId, ["2"])).tier).toBe("l1");
    expect((await other.read(byId, ["1"])).tier).not.toBe("l1");
  });
});
