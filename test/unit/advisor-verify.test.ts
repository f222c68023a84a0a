import { describe, expect, it } from "vitest";
import { judgeIndex, meanBetween, standingVerifications, writesTo, type Verification } from "../../shared/db/advisor/verify.ts";

const rec = { name: "ix", statements: [{ queryid: "1", query: "", calls: 10, costBefore: 1000, costAfter: 100 }] };

describe("judging a built index", () => {
  it("holds when the measured saving is at least half the predicted one", () => {
    expect(judgeIndex(rec, [{ queryid: "1", beforeMs: 10, afterMs: 5, calls: 10 }], null)).toMatchObject({ verdict: "held", predictedSaving: 0.9, measuredSaving: 0.5 });
  });

  it("fails under half the prediction", () => {
    expect(judgeIndex(rec, [{ queryid: "1", beforeMs: 10, afterMs: 6, calls: 10 }], null)).toMatchObject({ verdict: "below_prediction", measuredSaving: 0.4 });
  });

  it("fails when writes on its table got more than 10% slower, whatever the reads gained", () => {
    const verdict = judgeIndex(rec, [{ queryid: "1", beforeMs: 10, afterMs: 1, calls: 10 }], { beforeMs: 1, afterMs: 1.2 });
    expect(verdict.verdict).toBe("slowed_writes");
    expect(judgeIndex(rec, [{ queryid: "1", beforeMs: 10, afterMs: 1, calls: 10 }], { beforeMs: 1, afterMs: 1.05 }).verdict).toBe("held");
  });

  it("is unmeasured until one of its statements ran", () => {
    expect(judgeIndex(rec, [{ queryid: "1", beforeMs: 10, afterMs: null, calls: 0 }], null).verdict).toBe("unmeasured");
  });

  it("takes means from deltas between snapshots", () => {
    const from = new Map([["1", { calls: 10, totalMs: 100 }]]);
    const to = new Map([["1", { calls: 14, totalMs: 108 }]]);
    expect(meanBetween(from, to, "1")).toEqual({ calls: 4, meanMs: 2 });
    expect(meanBetween(to, to, "1")).toBeUndefined();
  });

  it("finds the statements that write a table", () => {
    const workload = [
      { queryid: "a", query: "INSERT INTO inventory_events (product_id) VALUES ($1)", meanMs: 1 },
      { queryid: "b", query: 'UPDATE "public"."inventory_events" SET delta = $1', meanMs: 2 },
      { queryid: "c", query: "INSERT INTO inventory_events_archive SELECT 1", meanMs: 3 },
      { queryid: "d", query: "SELECT * FROM inventory_events", meanMs: 4 },
    ];
    expect(writesTo("inventory_events", workload).map((w) => w.queryid)).toEqual(["a", "b"]);
  });
});

describe("measurements carried into later reports", () => {
  const measured = (name: string, action: Verification["action"]): Verification => ({
    name, table: "public.t", action, verdict: "held", predictedSaving: 0.9, measuredSaving: 0.8, statements: [], writeBeforeMs: null, writeAfterMs: null, reason: "", sizeBytes: 8192, measuredAt: "2026-12-06T09:00:00.000Z",
  });
  const present = (...names: string[]) => names.map((name) => ({ schema: "public", table: "t", name }));

  it("carries kept and reported indexes still in place, marked as carried", () => {
    const standing = standingVerifications([measured("a", "kept"), measured("b", "reported")], [], present("a", "b"));
    expect(standing.map((v) => [v.name, v.carried])).toEqual([["a", true], ["b", true]]);
  });

  it("drops what was dropped, is still pending, was measured again now, or is gone", () => {
    const earlier = [measured("dropped", "dropped"), measured("pending", "pending"), measured("again", "kept"), measured("gone", "kept")];
    expect(standingVerifications(earlier, [measured("again", "kept")], present("dropped", "pending", "again"))).toEqual([]);
  });

  it("matches the index on its table too, not on its name alone", () => {
    expect(standingVerifications([measured("a", "kept")], [], [{ schema: "public", table: "other", name: "a" }])).toEqual([]);
  });
});
