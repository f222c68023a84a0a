/**
 * Coherence of the tiered cache across isolates (two cache instances over one
 * fake Redis): versions that never go backwards when Redis forgets, no value
 * served past the bound when its tags cannot be verified, the lock's second
 * look at L2, and read-your-writes with a consistency token.
 */
import { describe, expect, it } from "vitest";
import { createTieredCache } from "../../shared/cache/index.ts";
import type { TieredCacheOptions } from "../../shared/cache/types.ts";
import { FakeClock, FakeStore } from "./cache-fakes.ts";

const TAGS = ["public.users"];
const POLICY = { ttlSeconds: 60, swrSeconds: 0 };
const BOUND = 1000;

function setup(options: Partial<TieredCacheOptions> = {}) {
  const clock = new FakeClock();
  const store = new FakeStore(clock);
  const make = () =>
    createTieredCache({
      store,
      now: clock.now,
      sleep: async (ms) => {
        clock.advance(ms);
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
      options: { redisTimeoutMs: 25, tagCheckIntervalMs: BOUND, ...options },
    });
  return { clock, store, a: make(), b: make(), make };
}

/** A "database row" and its loader. */
function row(initial: string) {
  const db = { value: initial, loads: 0 };
  const load = async () => {
    db.loads++;
    return db.value;
  };
  return { db, load };
}

describe("versions survive Redis forgetting", () => {
  it("after a restart without persistence, a new write is seen by both isolates within the bound", async () => {
    const { clock, store, a, b } = setup();
    const { db, load } = row("v1");
    // Many writes before the restart: versions well above where a naive counter restarts.
    for (let i = 0; i < 5; i++) await a.invalidate(TAGS);
    await a.read("k", TAGS, load, POLICY);
    expect((await b.read("k", TAGS, load, POLICY)).value).toBe("v1");
    store.forgetAll();
    clock.advance(10);
    db.value = "v2";
    await a.invalidate(TAGS);
    expect((await a.read("k", TAGS, load, POLICY)).value).toBe("v2");
    clock.advance(BOUND);
    expect((await b.read("k", TAGS, load, POLICY)).value).toBe("v2");
    // And a write after that is still seen (the old code's counter restarted at 1, below what isolates held).
    db.value = "v3";
    await b.invalidate(TAGS);
    clock.advance(BOUND);
    expect((await a.read("k", TAGS, load, POLICY)).value).toBe("v3");
  });

  it("drops values whose tag key was evicted, even with the value still in L2, and counts the reset", async () => {
    const { clock, store, a, b, make } = setup();
    const { db, load } = row("old");
    await a.invalidate(TAGS);
    await a.read("k", TAGS, load, POLICY);
    await b.read("k", TAGS, load, POLICY);
    db.value = "new";
    await a.invalidate(TAGS);
    // Tag key evicted before b re-checked, while the old value still sits in L2 for fresh isolates.
    for (const key of [...store.data.keys()]) if (key.includes(":t:")) store.data.delete(key);
    await b.invalidate([]); // no-op: b learns nothing from it
    clock.advance(BOUND);
    expect((await b.read("k", TAGS, load, POLICY)).value).toBe("new");
    expect(b.stats().tags.resetsDetected).toBe(1);
    const fresh = make();
    expect((await fresh.read("k", TAGS, load, POLICY)).value).toBe("new");
  });
});

describe("values whose tags cannot be verified", () => {
  it("are not served from L1 past the bound while Redis is unreachable; the source answers", async () => {
    const { clock, store, a } = setup({ breakerFailureThreshold: 100 });
    const { db, load } = row("v1");
    await a.read("k", TAGS, load, POLICY);
    store.mode = "fail";
    clock.advance(BOUND - 1);
    expect(await a.read("k", TAGS, load, POLICY)).toMatchObject({ tier: "l1", value: "v1" });
    db.value = "v2";
    clock.advance(1);
    expect(await a.read("k", TAGS, load, POLICY)).toMatchObject({ tier: "miss", value: "v2" });
    expect(a.stats().unverified).toBe(1);
    // The fresh load is good for one more bound, then goes to the source again.
    expect(await a.read("k", TAGS, load, POLICY)).toMatchObject({ tier: "l1", value: "v2" });
    clock.advance(BOUND);
    await a.read("k", TAGS, load, POLICY);
    expect(db.loads).toBe(3);
  });
});

describe("cross-isolate load lock", () => {
  it("a lock winner that finds the value stored meanwhile does not load again", async () => {
    const { store, a, b } = setup();
    const { db, load } = row("v");
    // a loads and stores (releasing its lock) between b's L2 miss and b taking the lock.
    const lookup = store.lookup.bind(store);
    store.lookup = async (key, tagKeys) => {
      const reply = await lookup(key, tagKeys);
      store.lookup = lookup;
      await a.read("k", TAGS, load, POLICY);
      return reply;
    };
    expect((await b.read("k", TAGS, load, POLICY)).value).toBe("v");
    expect(db.loads).toBe(1);
    expect(b.stats().lock).toMatchObject({ acquired: 0, recheckHit: 1 });
    expect([...store.data.keys()].some((k) => k.includes(":l:"))).toBe(false);
  });
});

describe("read-your-writes with a consistency token", () => {
  it("serves the other isolate's write at once to a read carrying the write's versions", async () => {
    const { a, b } = setup();
    const { db, load } = row("v1");
    await a.read("k", TAGS, load, POLICY);
    await b.read("k", TAGS, load, POLICY);
    db.value = "v2";
    const token = await a.invalidate(TAGS);
    expect(token.get("public.users")).toBeGreaterThan(0);
    expect((await b.read("k", TAGS, load, POLICY)).value).toBe("v1"); // without: within the bound
    expect((await b.read("k", TAGS, load, POLICY, { consistency: token })).value).toBe("v2");
    expect(b.stats().tags.tokenWaits).toBe(1);
    // Caught up: the next token read costs no Redis call.
    expect((await b.read("k", TAGS, load, POLICY, { consistency: token })).tier).toBe("l1");
    expect(b.stats().tags.tokenWaits).toBe(1);
  });

  it("goes to the source for a token Redis cannot confirm, without moving the isolate's versions", async () => {
    const { a } = setup();
    const { db, load } = row("v1");
    await a.invalidate(TAGS);
    await a.read("k", TAGS, load, POLICY);
    const forged = new Map([["public.users", Number.MAX_SAFE_INTEGER]]);
    expect(await a.read("k", TAGS, load, POLICY, { consistency: forged })).toMatchObject({ tier: "bypass" });
    expect(a.stats().tags.tokenBypasses).toBe(1);
    expect(await a.read("k", TAGS, load, POLICY)).toMatchObject({ tier: "l1", value: "v1" });
    expect(db.loads).toBe(2);
  });

  it("does not join a load that started before the token's write", async () => {
    const { a, b } = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const db = { value: "v1" };
    const slow = async () => {
      const seen = db.value;
      await gate;
      return seen;
    };
    const before = b.read("k", TAGS, slow, POLICY);
    await new Promise((resolve) => setTimeout(resolve, 5));
    db.value = "v2";
    const token = await a.invalidate(TAGS);
    const after = b.read("k", TAGS, async () => db.value, POLICY, { consistency: token });
    release();
    expect((await before).value).toBe("v1");
    expect((await after).value).toBe("v2");
  });
});

describe("tag table bound", () => {
  it("forgets idle tags past its bound, and values stamped on a forgotten tag are not current", async () => {
    const { TagTable } = await import("../../shared/cache/tags.ts");
    const table = new TagTable(1000, 4);
    table.observe(["a"], [7], 0);
    const held = table.statesOf(["a"]);
    const stamped = { versions: table.versionsOf(["a"]), gen: table.gen };
    expect(table.entryCurrent(held, stamped.versions, stamped.gen)).toBe(true);
    table.statesOf(["b", "c", "d", "e"]);
    expect(table.size).toBeLessThanOrEqual(4);
    // "a" was forgotten: the held state says so, and a fresh state for "a" rejects the old stamp too.
    expect(table.entryCurrent(held, stamped.versions, stamped.gen)).toBe(false);
    expect(table.isCurrent(["a"], stamped.versions, stamped.gen)).toBe(false);
  });
});

describe("a write whose Redis bump fails", () => {
  it("still hands out a token, and a read carrying it on another isolate goes to the source", async () => {
    const { store, a, b } = setup({ breakerFailureThreshold: 100 });
    const { db, load } = row("v1");
    await a.read("k", TAGS, load, POLICY);
    await b.read("k", TAGS, load, POLICY);
    db.value = "v2";
    store.mode = "fail";
    const token = await a.invalidate(TAGS);
    expect(token.size).toBe(1);
    store.mode = "ok";
    expect(await b.read("k", TAGS, load, POLICY, { consistency: token })).toMatchObject({ tier: "bypass", value: "v2" });
  });
});
