import { describe, expect, it } from "vitest";
import { createTieredCache } from "../../shared/cache/index.ts";
import type { CachedRead, ReadPolicy, ReadTags, TagVersions, TieredCache } from "../../shared/cache/types.ts";
import { createQueryOptimizer } from "../../shared/db/query-optimizer.ts";
import type { QueryPolicy } from "../../shared/db/query-policy.ts";
import { testPolicy } from "./query-policy-fixture.ts";
import {
  NotAReadError,
  QueryError,
  StatementTimeoutError,
  WriteTablesUnknownError,
  type ExecutedStatement,
  type QueryEvent,
  type SqlExecutor,
  type TransactionClient,
} from "../../shared/db/query-types.ts";

const policy = (over: Partial<QueryPolicy> = {}): QueryPolicy =>
  testPolicy({ tableClasses: { "public.users": "user", "public.api_keys": "config" }, topFingerprints: 20, ...over });

/** A fake clock that the fake database advances by each statement's cost. */
class Clock {
  t = 0;
  now = () => this.t;
}

/** An in-memory "database": a log of what ran, programmable durations and failures. */
class FakeDb implements SqlExecutor {
  readonly log: string[] = [];
  readonly runs: { sql: string; readOnly: boolean }[] = [];
  explains = 0;
  costMs = 2;
  fail: Error | undefined;
  value = 1;
  constructor(private readonly clock: Clock) {}

  async run<Row>(sql: string, _params: readonly unknown[], opts: { readOnly: boolean }): Promise<ExecutedStatement<Row>> {
    this.runs.push({ sql, readOnly: opts.readOnly });
    this.clock.t += this.costMs;
    this.log.push(`run ${sql}`);
    if (this.fail !== undefined) throw this.fail;
    if (/^\s*update/i.test(sql)) this.value++;
    return { rows: [{ value: this.value } as Row], rowCount: 1 };
  }

  async transaction<T>(fn: (tx: TransactionClient) => Promise<T>): Promise<T> {
    this.log.push("begin");
    const tx: TransactionClient = {
      query: async <Row>(sql: string, params: readonly unknown[] = []) => this.run<Row>(sql, params, { readOnly: false }),
    };
    try {
      const result = await fn(tx);
      this.log.push("commit");
      return result;
    } catch (error) {
      this.log.push("rollback");
      throw error;
    }
  }

  async explain(): Promise<unknown> {
    this.explains++;
    return [{ Plan: { "Node Type": "Seq Scan" } }];
  }
}

/** A TieredCache that serves nothing from memory but records what it was asked. */
class RecordingCache implements TieredCache {
  readonly reads: { key: string; tags: readonly string[]; policy: ReadPolicy }[] = [];
  readonly invalidations: string[][] = [];
  constructor(private readonly log: string[]) {}
  async read<T>(key: string, tags: ReadTags, load: () => Promise<T>, policy: ReadPolicy): Promise<CachedRead<T>> {
    this.reads.push({ key, tags: typeof tags === "function" ? tags() : tags, policy });
    return { value: await load(), tier: "miss", loadMs: 2 };
  }
  async invalidate(tags: readonly string[]): Promise<TagVersions> {
    this.log.push(`invalidate ${[...tags].sort().join(",")}`);
    this.invalidations.push([...tags]);
    return new Map(tags.map((tag) => [tag, this.invalidations.length]));
  }
  stats(): never {
    throw new Error("not used");
  }
}

function setup(over: Partial<QueryPolicy> = {}) {
  const clock = new Clock();
  const db = new FakeDb(clock);
  const cache = new RecordingCache(db.log);
  const events: QueryEvent[] = [];
  const optimizer = createQueryOptimizer({
    executor: db,
    cache,
    policy: policy(over),
    observer: (e) => events.push(e),
    now: clock.now,
    wallClock: () => 1_700_000_000_000 + clock.t,
  });
  return { clock, db, cache, events, optimizer };
}

describe("read", () => {
  it("serves a second identical read from L1 and a changed one after a write", async () => {
    const clock = new Clock();
    const db = new FakeDb(clock);
    const optimizer = createQueryOptimizer({ executor: db, cache: createTieredCache(), policy: policy(), now: clock.now });
    const first = await optimizer.read("select value from users where id = $1", [1]);
    const second = await optimizer.read("select value from users where id = $1", [1]);
    expect([first.tier, second.tier]).toEqual(["miss", "l1"]);
    expect(second.rows).toEqual([{ value: 1 }]);
    expect(second.dbMs).toBe(0);
    await optimizer.write("update users set role = $1 where id = $2", ["admin", 1]);
    const third = await optimizer.read("select value from users where id = $1", [1]);
    expect(third.tier).toBe("miss");
    expect(third.rows).toEqual([{ value: 2 }]);
  });

  it("keys by exact text and parameters, tags by tables read, and runs cacheable reads read-only", async () => {
    const { cache, db, optimizer } = setup();
    await optimizer.read("select * from users u join audit_logs a on a.user_id = u.id where u.id = $1", [1]);
    await optimizer.read("select * from users u join audit_logs a on a.user_id = u.id where u.id = $1", [2]);
    await optimizer.read("select * from users where id = 1", []);
    await optimizer.read("select * from users where id = 2", []);
    const keys = cache.reads.map((r) => r.key);
    expect(new Set(keys).size).toBe(4);
    // A read that is not by id carries each table and its list tag (row tags: test/unit/cache-row-tags.test.ts).
    expect(cache.reads[0]?.tags).toEqual(["public.audit_logs", "public.audit_logs:list", "public.users", "public.users:list"]);
    expect(db.runs.every((r) => r.readOnly)).toBe(true);
  });

  it("picks the TTL from the tables' class, the shortest winning, and honours overrides", async () => {
    const { cache, optimizer } = setup();
    await optimizer.read("select * from users where id = $1", [1]);
    await optimizer.read("select * from api_keys where key_id = $1", ["k"]);
    await optimizer.read("select * from cron_runs", []);
    await optimizer.read("select * from api_keys k join users u on true", []);
    await optimizer.read("select * from cron_runs where id = $1", [1], { queryClass: "config" });
    await optimizer.read("select * from cron_runs where id = $1", [2], { ttlSeconds: 5, swrSeconds: 9, tags: ["tenant:1"] });
    expect(cache.reads.map((r) => r.policy.ttlSeconds)).toEqual([60, 600, 300, 60, 600, 5]);
    expect(cache.reads[5]?.policy.swrSeconds).toBe(9);
    expect(cache.reads[5]?.tags).toEqual(["public.cron_runs", "public.cron_runs:id=2", "tenant:1"]);
  });

  it("bypasses the cache for volatile, locking, unparseable reads and cache: false", async () => {
    const { cache, db, optimizer } = setup();
    const results = await Promise.all([
      optimizer.read("select now()", []),
      optimizer.read("select * from users where created_at > now() - interval '1 day'", []),
      optimizer.read("select * from users where id = $1 for update", [1]),
      optimizer.read("select $tag$x$tag$", []),
      optimizer.read("select * from users where id = $1", [1], { cache: false }),
    ]);
    expect(results.map((r) => r.tier)).toEqual(["bypass", "bypass", "bypass", "bypass", "bypass"]);
    expect(cache.reads).toHaveLength(0);
    expect(db.runs).toHaveLength(5);
    expect(db.runs.some((r) => r.readOnly)).toBe(false);
  });

  it("refuses statements that are not reads", async () => {
    const { db, optimizer } = setup();
    await expect(optimizer.read("update users set role = 'x'", [])).rejects.toBeInstanceOf(NotAReadError);
    await expect(optimizer.read("with x as (delete from users returning id) select * from x", [])).rejects.toMatchObject({
      code: "statement_not_read",
    });
    expect(db.runs).toHaveLength(0);
  });

  it("rethrows database errors as typed errors and counts them", async () => {
    const { db, optimizer, events } = setup();
    db.fail = Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" });
    const error = await optimizer.read("select * from users where id = $1", [1]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementTimeoutError);
    expect(events[0]?.error).toBe("statement_timeout");
    expect(optimizer.stats().fingerprints[0]?.errors).toBe(1);
  });
});

describe("write", () => {
  it("invalidates every table written after the write and before it resolves", async () => {
    const { db, optimizer } = setup();
    const result = await optimizer.write(
      "with moved as (delete from agent_states where state = $1 returning *) insert into audit_logs (action, resource) select 'archive', session_id from moved",
      ["done"],
    );
    expect(result.tier).toBe("bypass");
    expect(db.log.at(-2)).toMatch(/^run with moved/);
    expect(db.log.at(-1)).toBe("invalidate public.agent_states,public.audit_logs");
  });

  it("refuses a write whose tables it cannot tell, unless tags are given", async () => {
    const { db, cache, optimizer } = setup();
    const sql = "delete from audit_logs using users where users.id = audit_logs.user_id and users.id = $1";
    await expect(optimizer.write(sql, [1])).rejects.toBeInstanceOf(WriteTablesUnknownError);
    expect(db.runs).toHaveLength(0);
    await optimizer.write(sql, [1], { tags: ["public.audit_logs"] });
    expect(cache.invalidations).toEqual([["public.audit_logs"]]);
  });

  it("does not invalidate after a failed write, but does when the outcome is unknown", async () => {
    const { db, cache, optimizer } = setup();
    db.fail = Object.assign(new Error("duplicate key"), { code: "23505" });
    await expect(optimizer.write("insert into users (email) values ($1)", ["a@b"])).rejects.toMatchObject({
      code: "db_error",
      sqlState: "23505",
    });
    expect(cache.invalidations).toHaveLength(0);
    db.fail = new TypeError("fetch failed");
    await expect(optimizer.write("insert into users (email) values ($1)", ["a@b"])).rejects.toMatchObject({
      code: "db_unavailable",
    });
    expect(cache.invalidations).toEqual([["public.users"]]);
  });
});

describe("transaction", () => {
  it("invalidates every table written inside, once, after COMMIT", async () => {
    const { db, optimizer } = setup();
    const out = await optimizer.transaction(async (tx) => {
      await tx.query("update users set role = $1 where id = $2", ["admin", 1]);
      await tx.query("select * from api_keys", []);
      await tx.query("insert into audit_logs (action, resource) values ($1, $2)", ["a", "b"]);
      return "done";
    });
    expect(out).toBe("done");
    // The update names its row (id = $2): that row and the list; the insert has no RETURNING id: its whole table.
    expect(db.log.slice(-2)).toEqual(["commit", "invalidate public.audit_logs,public.users:id=1,public.users:list"]);
  });

  it("rolls back and invalidates nothing when the callback throws", async () => {
    const { db, cache, optimizer } = setup();
    await expect(
      optimizer.transaction(async (tx) => {
        await tx.query("update users set role = $1", ["x"]);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(db.log.at(-1)).toBe("rollback");
    expect(cache.invalidations).toHaveLength(0);
  });

  it("rolls back an unparseable write without tags", async () => {
    const { db, optimizer } = setup();
    await expect(
      optimizer.transaction((tx) => tx.query("delete from a using b where a.id = b.id", [])),
    ).rejects.toBeInstanceOf(WriteTablesUnknownError);
    expect(db.log.at(-1)).toBe("rollback");
  });
});

describe("stats, slow queries and events", () => {
  it("detects slow queries by database time with the configured threshold", async () => {
    const { db, optimizer, events } = setup({ slowQueryThresholdMs: 100 });
    db.costMs = 99;
    await optimizer.read("select * from users where id = $1", [1], { cache: false });
    db.costMs = 100;
    await optimizer.read("select * from users where email = $1", ["secret@example.com"], { cache: false });
    expect(events.map((e) => e.slow)).toEqual([false, true]);
    const slow = optimizer.stats().slowQueries;
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ statement: "select * from users where email = ?", paramShape: ["text"], durationMs: 100 });
    expect(JSON.stringify(slow)).not.toContain("secret");
    expect(slow[0]?.plan).toBeUndefined();
    expect(db.explains).toBe(0);
  });

  it("attaches an EXPLAIN plan when configured, at most once per fingerprint per minute", async () => {
    const { db, optimizer } = setup({ slowQueryThresholdMs: 10, explainSlowQueries: true });
    db.costMs = 50;
    await optimizer.read("select * from users where id = $1", [1], { cache: false });
    await optimizer.read("select * from users where id = $1", [2], { cache: false });
    const slow = optimizer.stats().slowQueries;
    expect(slow).toHaveLength(2);
    expect(slow[1]?.plan).toEqual([{ Plan: { "Node Type": "Seq Scan" } }]);
    expect(db.explains).toBe(1);
  });

  it("hands the plan fetch to waitUntil when there is one", async () => {
    const { db, optimizer } = setup({ slowQueryThresholdMs: 10, explainSlowQueries: true });
    db.costMs = 50;
    const pending: Promise<unknown>[] = [];
    await optimizer.read("select * from users where id = $1", [1], { cache: false }, { waitUntil: (p) => pending.push(p) });
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(optimizer.stats().slowQueries[0]?.plan).toBeDefined();
  });

  it("groups calls by fingerprint with per-tier counts and emits one event per call", async () => {
    const clock = new Clock();
    const db = new FakeDb(clock);
    const events: QueryEvent[] = [];
    const optimizer = createQueryOptimizer({
      executor: db,
      cache: createTieredCache(),
      policy: policy(),
      now: clock.now,
      observer: (e) => {
        events.push(e);
        throw new Error("a broken observer is ignored");
      },
    });
    await optimizer.read("select value from users where id = $1", [1]);
    await optimizer.read("select value from users where id = $1", [1]);
    await optimizer.read("select value from users where id = 7", []);
    const [top] = optimizer.stats().fingerprints;
    expect(top).toMatchObject({ calls: 3, statement: "select value from users where id = ?", kind: "read" });
    expect(top?.tiers).toMatchObject({ miss: 2, l1: 1 });
    expect(events.map((e) => e.tier)).toEqual(["miss", "l1", "miss"]);
    expect(new Set(events.map((e) => e.fingerprint)).size).toBe(1);
  });

  it("exposes typed errors with stable codes", () => {
    expect(new StatementTimeoutError("x")).toBeInstanceOf(QueryError);
    expect(new StatementTimeoutError("x").code).toBe("statement_timeout");
  });
});
