import { describe, expect, it } from "vitest";
import { LatencyHistogram, QueryStats } from "../../shared/db/query-stats.ts";
import { SlowQueryLog } from "../../shared/db/slow-queries.ts";
import type { SlowQueryRecord } from "../../shared/db/query-types.ts";

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

describe("LatencyHistogram", () => {
  it("estimates p50, p95 and p99 within 6% over a wide spread", () => {
    const histogram = new LatencyHistogram();
    const values: number[] = [];
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      // log-uniform between 0.05 ms and 5 s
      const value = 0.05 * Math.exp((seed / 2 ** 31) * Math.log(100_000));
      values.push(value);
      histogram.add(value);
    }
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = exactQuantile(values, q);
      expect(Math.abs(histogram.quantile(q) - exact) / exact).toBeLessThan(0.06);
    }
  });

  it("is exact at the extremes and zero when empty", () => {
    const histogram = new LatencyHistogram();
    expect(histogram.quantile(0.95)).toBe(0);
    histogram.add(3);
    expect(histogram.quantile(0.95)).toBe(3);
    histogram.add(0);
    histogram.add(10_000_000);
    expect(histogram.max).toBe(10_000_000);
    expect(histogram.quantile(1)).toBe(10_000_000);
    expect(histogram.min).toBe(0);
  });
});

describe("QueryStats", () => {
  const fp = (n: number) => ({ fingerprint: `fp${n}`, statement: `select ${n}` });

  it("counts calls, rows, errors, tiers, total and mean time per fingerprint", () => {
    const stats = new QueryStats(10);
    stats.record(fp(1), "read", 10, 3, "miss", false);
    stats.record(fp(1), "read", 1, 3, "l1", false);
    stats.record(fp(1), "read", 4, 0, "bypass", true);
    const s = stats.get("fp1");
    expect(s).toMatchObject({ calls: 3, rows: 6, errors: 1, totalMs: 15, meanMs: 5, maxMs: 10 });
    expect(s?.tiers).toEqual({ l1: 1, l2: 0, miss: 1, stale: 0, bypass: 1 });
    expect(s?.p95Ms).toBeCloseTo(10, 0);
  });

  it("orders top fingerprints by total time", () => {
    const stats = new QueryStats(10);
    stats.record(fp(1), "read", 1, 0, "l1", false);
    stats.record(fp(2), "write", 50, 1, "bypass", false);
    stats.record(fp(3), "read", 5, 0, "miss", false);
    expect(stats.top(2).map((s) => s.fingerprint)).toEqual(["fp2", "fp3"]);
  });

  it("keeps at most maxFingerprints, dropping the least called for a new one", () => {
    const stats = new QueryStats(3);
    for (const n of [1, 2, 3]) stats.record(fp(n), "read", 1, 0, "l1", false);
    stats.record(fp(1), "read", 1, 0, "l1", false);
    stats.record(fp(4), "read", 1, 0, "l1", false);
    expect(stats.size).toBe(3);
    expect(stats.get("fp2")).toBeUndefined();
    expect(stats.get("fp1")?.calls).toBe(2);
  });
});

describe("SlowQueryLog", () => {
  const record = (n: number): SlowQueryRecord => ({
    at: n,
    fingerprint: `fp${n}`,
    statement: "select ?",
    paramShape: [],
    durationMs: 1000 + n,
    rows: 0,
  });

  it("keeps the newest records, newest first, in fixed memory", () => {
    const log = new SlowQueryLog(3);
    expect(log.recent()).toEqual([]);
    for (let n = 1; n <= 5; n++) log.add(record(n));
    expect(log.recent().map((r) => r.at)).toEqual([5, 4, 3]);
    expect(log.seen).toBe(5);
  });

  it("refuses a capacity below one", () => {
    expect(() => new SlowQueryLog(0)).toThrow(RangeError);
  });
});

describe("redactPlan", () => {
  it("removes literal values from plan text and keeps names and numeric facts", async () => {
    const { redactPlan } = await import("../../shared/db/slow-queries.ts");
    const plan = [
      {
        Plan: {
          "Node Type": "Index Scan",
          "Index Name": "items2_pkey",
          "Relation Name": "items2",
          "Index Cond": "(id = 42)",
          Filter: "((name <> 'se''cret'::text) AND (score > -1.5))",
          "Plan Rows": 1,
          "Total Cost": 8.27,
        },
      },
    ];
    expect(redactPlan(plan)).toEqual([
      {
        Plan: {
          "Node Type": "Index Scan",
          "Index Name": "items2_pkey",
          "Relation Name": "items2",
          "Index Cond": "(id = ?)",
          Filter: "((name <> ?::text) AND (score > ?))",
          "Plan Rows": 1,
          "Total Cost": 8.27,
        },
      },
    ]);
  });
});
