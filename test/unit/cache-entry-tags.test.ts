/**
 * A read's tags are derived on a miss and kept with its L1 entry; a hit checks those and derives
 * nothing (shared/cache/tiered.ts, shared/db/cache-tags.ts readTagsFor). These tests fail if an
 * entry is checked against tags other than its own key's: a write to a row must drop exactly the
 * reads of that row (and the reads that scan), whatever was read before.
 */
import { describe, expect, it } from "vitest";
import { createTieredCache } from "../../shared/cache/index.ts";
import { createQueryOptimizer } from "../../shared/db/query-optimizer.ts";
import type { ExecutedStatement, SqlExecutor } from "../../shared/db/query-types.ts";
import { RowReadRegistry } from "../../shared/db/row-refresh.ts";
import { FakeClock, FakeStore } from "./cache-fakes.ts";
import { testPolicy } from "./query-policy-fixture.ts";

const policy = testPolicy();

const BY_ID = "SELECT id, name FROM users WHERE id = $1";
const BY_NAME = "SELECT id, name FROM users WHERE name = $1";
const RENAME = "UPDATE users SET name = $1 WHERE id = $2";
const INSERT = "INSERT INTO users (name) VALUES ($1) RETURNING id";

/** A users table in memory that understands the four statements above. */
class UsersDb implements SqlExecutor {
  readonly rows = new Map<number, string>([
    [7, "ada"],
    [8, "grace"],
  ]);
  loads = 0;

  async run<Row>(sql: string, params: readonly unknown[]): Promise<ExecutedStatement<Row>> {
    const out = (rows: unknown[]) => ({ rows: rows as Row[], rowCount: rows.length });
    if (sql === BY_ID) {
      this.loads++;
      const name = this.rows.get(Number(params[0]));
      return out(name === undefined ? [] : [{ id: Number(params[0]), name }]);
    }
    if (sql === BY_NAME) {
      this.loads++;
      return out([...this.rows].filter(([, name]) => name === params[0]).map(([id, name]) => ({ id, name })));
    }
    if (sql === RENAME) {
      const id = Number(params[1]);
      if (!this.rows.has(id)) return out([]);
      this.rows.set(id, String(params[0]));
      return out([]);
    }
    if (sql === INSERT) {
      const id = Math.max(...this.rows.keys()) + 1;
      this.rows.set(id, String(params[0]));
      return out([{ id }]);
    }
    throw new Error(`unexpected statement: ${sql}`);
  }

  transaction(): Promise<never> {
    return Promise.reject(new Error("unused"));
  }

  explain(): Promise<never> {
    return Promise.reject(new Error("unused"));
  }
}

function setup(withStore = false) {
  const clock = new FakeClock();
  const store = new FakeStore(clock);
  const db = new UsersDb();
  const isolate = () =>
    createQueryOptimizer({
      executor: db,
      cache: createTieredCache({ store: withStore ? store : undefined, now: clock.now, options: { tagCheckIntervalMs: 1000, redisTimeoutMs: 25 } }),
      policy,
    });
  return { db, clock, optimizer: isolate(), isolate };
}

describe("tags kept with L1 entries", () => {
  it("a write to one row drops that row's cached read only, whichever row was read first", async () => {
    const { db, optimizer } = setup();
    const read = async (id: number) => {
      const { tier, rows } = await optimizer.read<{ name: string }>(BY_ID, [id]);
      return `${tier}:${rows[0]?.name}`;
    };
    expect([await read(7), await read(8), await read(7), await read(8)]).toEqual(["miss:ada", "miss:grace", "l1:ada", "l1:grace"]);

    await optimizer.write(RENAME, ["hopper", 8]);
    expect([await read(8), await read(7)]).toEqual(["miss:hopper", "l1:ada"]);

    await optimizer.write(RENAME, ["lovelace", 7]);
    expect([await read(7), await read(8)]).toEqual(["miss:lovelace", "l1:hopper"]);
    expect(db.loads).toBe(4);
  });

  it("an insert that changes a scan's row set drops the scan, and leaves reads of other rows cached", async () => {
    const { optimizer } = setup();
    const scan = async () => {
      const { tier, rows } = await optimizer.read<{ id: number }>(BY_NAME, ["ada"]);
      return `${tier}:${rows.map((r) => r.id).join(",")}`;
    };
    await optimizer.read(BY_ID, [8]);
    expect([await scan(), await scan()]).toEqual(["miss:7", "l1:7"]);
    await optimizer.write(INSERT, ["ada"]);
    expect(await scan()).toBe("miss:7,9");
    expect((await optimizer.read(BY_ID, [8])).tier).toBe("l1");
    // A rename moves a row into the scan's set: bounded by id, it still bumps the list tag.
    await optimizer.write(RENAME, ["ada", 8]);
    expect(await scan()).toBe("miss:7,8,9");
  });

  it("another isolate's row write reaches an entry after the check interval, and a token at once", async () => {
    const { clock, isolate } = setup(true);
    const [a, b] = [isolate(), isolate()];
    const name = async (o: typeof a, id: number, token?: ReadonlyMap<string, number>) => {
      const { tier, rows } = await o.read<{ name: string }>(BY_ID, [id], {}, token === undefined ? undefined : { consistency: token });
      return `${tier}:${rows[0]?.name}`;
    };
    await name(b, 7);
    await name(b, 8);
    let token: ReadonlyMap<string, number> = new Map();
    await a.write(RENAME, ["hopper", 8], {}, { wrote: (versions) => void (token = versions) });
    expect(token.has("public.users:id=8")).toBe(true);
    // With the write's token, b catches up on row 8's tag before serving.
    expect(await name(b, 8, token)).toBe("miss:hopper");
    clock.advance(1000);
    await a.write(RENAME, ["lovelace", 7]);
    clock.advance(1000);
    expect(await name(b, 7)).toBe("miss:lovelace");
    expect(await name(b, 8)).toBe("l1:hopper");
  });
});

describe("tiered cache: tags given as a function", () => {
  it("derives them on a miss and a token check only, and checks a hit against the tags its entry was stored with", async () => {
    const clock = new FakeClock();
    const cache = createTieredCache({ store: new FakeStore(clock), now: clock.now, options: { tagCheckIntervalMs: 1000, redisTimeoutMs: 25 } });
    const policy = { ttlSeconds: 60 };
    let derived = 0;
    const tags = (list: string[]) => () => {
      derived++;
      return list;
    };
    let value = "v1";
    const load = async () => value;
    expect((await cache.read("k", tags(["t", "t:id=1"]), load, policy)).tier).toBe("miss");
    expect(derived).toBe(1);
    // A hit derives nothing, and is checked against ["t", "t:id=1"] whatever this call would say.
    expect((await cache.read("k", tags(["other"]), load, policy)).tier).toBe("l1");
    expect(derived).toBe(1);
    value = "v2";
    const versions = await cache.invalidate(["t:id=1"]);
    expect(await cache.read("k", tags(["other"]), load, policy)).toMatchObject({ tier: "miss", value: "v2" });
    expect(derived).toBe(2);
    // A token read needs the call's tags to catch up on them.
    expect((await cache.read("k", tags(["t", "t:id=1"]), load, policy, { consistency: versions })).tier).toBe("l1");
    expect(derived).toBe(3);
  });
});

describe("refresh after write", () => {
  function refreshing(failRefresh = false) {
    const clock = new FakeClock();
    const store = new FakeStore(clock);
    const db = new UsersDb();
    const executor: SqlExecutor = {
      run: (sql, params) => (failRefresh && sql === BY_ID && db.loads > 0 ? Promise.reject(new Error("db went away")) : db.run(sql, params)),
      transaction: () => db.transaction(),
      explain: () => db.explain(),
    };
    const isolate = () =>
      createQueryOptimizer({
        executor,
        cache: createTieredCache({ store, now: clock.now, options: { tagCheckIntervalMs: 1000, redisTimeoutMs: 25 } }),
        policy: testPolicy({ refreshAfterWriteReads: 100 }),
      });
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
    return { db, clock, isolate, ctx, settle: () => Promise.all(pending) };
  }
  const show = async (optimizer: ReturnType<ReturnType<typeof refreshing>["isolate"]>, id: number) => {
    const { tier, rows } = await optimizer.read<{ name: string }>(BY_ID, [id]);
    return `${tier}:${rows[0]?.name}`;
  };

  it("re-reads a written row's cached point read: the next read is a hit with the new value here, and from L2 in another isolate", async () => {
    const { db, clock, isolate, ctx, settle } = refreshing();
    const [a, b] = [isolate(), isolate()];
    expect([await show(a, 7), await show(b, 7)]).toEqual(["miss:ada", "l2:ada"]);
    await a.write(RENAME, ["lovelace", 7], undefined, ctx);
    await settle();
    expect(db.loads).toBe(2);
    expect(await show(a, 7)).toBe("l1:lovelace");
    clock.advance(1000);
    expect(await show(b, 7)).toBe("l2:lovelace");
    expect(db.loads).toBe(2);
    expect(a.stats().refreshAfterWrite).toEqual({ started: 1, failed: 0, remembered: 1 });
  });

  it("re-reads only the rows written, and never a scan", async () => {
    const { db, isolate, ctx, settle } = refreshing();
    const a = isolate();
    await show(a, 7);
    await show(a, 8);
    await a.read(BY_NAME, ["ada"]);
    await a.write(RENAME, ["hopper", 8], undefined, ctx);
    await settle();
    expect(db.loads).toBe(4);
    expect([await show(a, 7), await show(a, 8)]).toEqual(["l1:ada", "l1:hopper"]);
    expect((await a.read(BY_NAME, ["ada"])).tier).toBe("miss");
  });

  it("a refresh that fails costs the write nothing: it resolves, and the next read loads", async () => {
    const { isolate, ctx, settle } = refreshing(true);
    const a = isolate();
    await show(a, 7);
    await expect(a.write(RENAME, ["lovelace", 7], undefined, ctx)).resolves.toMatchObject({ tier: "bypass" });
    await settle();
    expect(a.stats().refreshAfterWrite).toMatchObject({ started: 1, failed: 1 });
  });
});

describe("RowReadRegistry", () => {
  it("forgets the oldest read past its bound, and finds reads by row tag only", () => {
    const registry = new RowReadRegistry(2);
    const read = (id: number) => ({ sql: BY_ID, params: [id], options: {} });
    registry.remember("k7", "public.users:id=7", read(7));
    registry.remember("k8", "public.users:id=8", read(8));
    registry.remember("k8", "public.users:id=8", read(8));
    registry.remember("k9", "public.users:id=9", read(9));
    expect(registry.size).toBe(2);
    expect(registry.readsFor(["public.users:id=7"])).toEqual([]);
    expect(registry.readsFor(["public.users:list", "public.users:id=8", "public.users:id=9"]).map((r) => r.params[0])).toEqual([8, 9]);
  });
});
