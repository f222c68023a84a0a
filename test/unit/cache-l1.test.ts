import { describe, expect, it } from "vitest";
import { L1Tier, lruOptions, type L1Entry } from "../../shared/cache/l1.ts";
import { zipfKeys } from "../../scripts/bench/cache-core.ts";
import { FakeClock } from "./cache-fakes.ts";

function entry(clock: FakeClock, ttlMs: number, size = 10): L1Entry {
  const t = clock.now();
  return { value: "v", tags: [], versions: [], gen: 0, storedAt: t, freshUntil: t + ttlMs, staleUntil: t + ttlMs, size };
}

describe("L1 tier", () => {
  it("reads the clock on every lookup (ttlResolution 0: workerd never runs lru-cache's refresh timer)", () => {
    expect(lruOptions({ maxEntries: 1, maxBytes: 1, now: Date.now }).ttlResolution).toBe(0);
  });

  it("expires an entry at its staleUntil on the injected clock, with no timer involved", () => {
    const clock = new FakeClock();
    const l1 = new L1Tier({ maxEntries: 10, maxBytes: 1000, now: clock.now });
    l1.set("k", entry(clock, 1000));
    clock.advance(1000);
    // lru-cache expires strictly after the TTL; the read path treats staleUntil itself as gone.
    expect(l1.get("k")).toBeDefined();
    clock.advance(1);
    expect(l1.get("k")).toBeUndefined();
    expect(l1.stats()).toMatchObject({ entries: 0, expirations: 1 });
  });

  it("exposes the clock reading lru-cache took for the lookup that returned an entry", () => {
    const clock = new FakeClock();
    const l1 = new L1Tier({ maxEntries: 10, maxBytes: 1000, now: clock.now });
    l1.set("k", entry(clock, 10_000));
    clock.advance(1234);
    l1.get("k");
    expect(l1.lastNow).toBe(clock.now());
  });

  it("refuses entries bigger than maxBytes or already expired", () => {
    const clock = new FakeClock();
    const l1 = new L1Tier({ maxEntries: 10, maxBytes: 100, now: clock.now });
    expect(l1.set("big", entry(clock, 1000, 101))).toBe(false);
    expect(l1.set("old", entry(clock, 0))).toBe(false);
    expect(l1.stats()).toMatchObject({ sets: 0, entries: 0 });
  });

  it("counts hits, stale hits and misses into a hit ratio", () => {
    const l1 = new L1Tier({ maxEntries: 10, maxBytes: 100, now: Date.now });
    l1.hit(false);
    l1.hit(true);
    l1.miss();
    l1.miss();
    expect(l1.stats()).toMatchObject({ hits: 1, staleHits: 1, misses: 2, hitRatio: 0.5 });
  });
});

describe("zipfKeys", () => {
  it("is deterministic for a seed and skewed toward low ranks", () => {
    const a = zipfKeys(1000, 1.1, 42);
    const b = zipfKeys(1000, 1.1, 42);
    const draws = Array.from({ length: 20_000 }, () => a());
    expect(Array.from({ length: 20_000 }, () => b())).toEqual(draws);
    expect(draws.every((k) => k >= 0 && k < 1000)).toBe(true);
    const zeros = draws.filter((k) => k === 0).length;
    const hundreds = draws.filter((k) => k === 100).length;
    expect(zeros).toBeGreaterThan(10 * hundreds);
  });
});
