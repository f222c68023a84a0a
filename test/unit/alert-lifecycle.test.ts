import { describe, expect, it } from "vitest";
import { evaluateAlerts } from "../../shared/monitoring/engine.ts";
import type { MetricSource } from "../../shared/monitoring/metrics.ts";
import type { ThresholdRule } from "../../shared/monitoring/rules.ts";
import { memoryStore, minuteAt, minuteIndex, recordingChannel, syntheticSource } from "./alert-fakes.ts";

const rule: ThresholdRule = {
  id: "p95",
  name: "p95 above 500 ms",
  severity: "warning",
  metric: "latency_p95_ms",
  kind: "threshold",
  op: ">",
  threshold: 500,
  // One-minute window: the evaluation at minute i judges minute i-1 alone.
  windowSeconds: 60,
  minSamples: 10,
  for: 3,
  keepFiringFor: 2,
  cooldownSeconds: 600,
};

/** Per-minute values from a string: B = breach (900 ms), . = clear (100 ms), L = breach on low traffic. */
function pattern(marks: string): MetricSource {
  const at = (m: number) => marks[minuteIndex(m)] ?? ".";
  return syntheticSource(
    (m) => (at(m) === "." ? 100 : 900),
    (m) => (at(m) === "L" ? 3 : 1000),
  );
}

/** Evaluates at minutes 1..marks.length (each judging the minute before) and returns each round's status. */
async function run(marks: string, overrides: Partial<ThresholdRule> = {}) {
  const store = memoryStore();
  const channel = recordingChannel();
  const source = pattern(marks);
  const statuses: string[] = [];
  for (let i = 1; i <= marks.length; i++) {
    const report = await evaluateAlerts({ rules: [{ ...rule, ...overrides }], source, store, channels: [channel], now: minuteAt(i), defaultCooldownSeconds: 0 });
    statuses.push(report.outcomes[0]!.status);
  }
  return { statuses, sent: channel.sent, store };
}

describe("threshold rule lifecycle", () => {
  it("goes pending, then fires after `for` consecutive breaches, notifying once", async () => {
    const { statuses, sent } = await run("BBBBB");
    expect(statuses).toEqual(["pending", "pending", "firing", "firing", "firing"]);
    expect(sent.map((e) => e.kind)).toEqual(["firing"]);
    expect(sent[0]!.value).toBe(900);
    expect(sent[0]!.bound).toBe(500);
    expect(sent[0]!.summary).toContain("p95 above 500 ms");
  });

  it("never fires on breach streaks shorter than `for`", async () => {
    const { statuses, sent } = await run("BB.BB.B");
    expect(statuses).toEqual(["pending", "pending", "inactive", "pending", "pending", "inactive", "pending"]);
    expect(sent).toEqual([]);
  });

  it("keeps firing through dips no longer than keepFiringFor, then resolves and notifies", async () => {
    const { statuses, sent } = await run("BBB..B...B");
    expect(statuses).toEqual(["pending", "pending", "firing", "firing", "firing", "firing", "firing", "firing", "resolved", "pending"]);
    expect(sent.map((e) => e.kind)).toEqual(["firing", "resolved"]);
    expect(sent[1]!.resolvedAt).toBe(minuteAt(9).toISOString());
    expect(sent[1]!.firingSince).toBe(minuteAt(3).toISOString());
  });

  it("resolves on the first clear evaluation when keepFiringFor is 0", async () => {
    const { statuses, sent } = await run("B.", { for: 1, keepFiringFor: 0 });
    expect(statuses).toEqual(["firing", "resolved"]);
    expect(sent.map((e) => e.kind)).toEqual(["firing", "resolved"]);
  });

  it("treats low traffic as no data, not as a breach", async () => {
    const { statuses, sent } = await run("LLLLL");
    expect(statuses).toEqual(["inactive", "inactive", "inactive", "inactive", "inactive"]);
    expect(sent).toEqual([]);
  });

  it("records firing and resolve in the history, newest first", async () => {
    const { store } = await run("B.", { for: 1, keepFiringFor: 0 });
    const history = await store.history(10);
    expect(history.map((e) => e.kind)).toEqual(["resolved", "firing"]);
    expect(new Set(history.map((e) => e.id)).size).toBe(2);
  });
});

describe("cooldown", () => {
  const flapping = { for: 1, keepFiringFor: 0, cooldownSeconds: 600 };

  it("holds back a re-fire inside the cooldown, and its resolve too", async () => {
    // Fires at 1, resolves at 2, fires again at 3 (inside 10 min), resolves at 4.
    const { statuses, sent, store } = await run("B.B.", flapping);
    expect(statuses).toEqual(["firing", "resolved", "firing", "resolved"]);
    expect(sent.map((e) => e.kind)).toEqual(["firing", "resolved"]);
    const history = await store.history(10);
    expect(history.map((e) => [e.kind, e.notified])).toEqual([
      ["resolved", false],
      ["firing", false],
      ["resolved", true],
      ["firing", true],
    ]);
  });

  it("announces a held-back firing once the cooldown is over if it still fires", async () => {
    // Fires at 1 (notified), resolves at 2, fires at 3 held back, still firing at minute 11 = 10 min after the first notice.
    const { sent } = await run("B.BBBBBBBBBB", flapping);
    expect(sent.map((e) => [e.kind, e.at])).toEqual([
      ["firing", minuteAt(1).toISOString()],
      ["resolved", minuteAt(2).toISOString()],
      ["firing", minuteAt(11).toISOString()],
    ]);
  });

  it("notifies a new firing normally after the cooldown", async () => {
    const { sent } = await run("B.........B", { ...flapping, cooldownSeconds: 300 });
    expect(sent.map((e) => e.kind)).toEqual(["firing", "resolved", "firing"]);
  });
});

describe("evaluation rounds", () => {
  it("skips a minute another round already evaluated, so `for` counts minutes, not rounds", async () => {
    const store = memoryStore();
    const channel = recordingChannel();
    const source = pattern("BBBB");
    const statuses: string[] = [];
    for (const i of [1, 1, 2, 2, 3, 3]) {
      const report = await evaluateAlerts({ rules: [rule], source, store, channels: [channel], now: minuteAt(i), defaultCooldownSeconds: 0 });
      statuses.push(report.outcomes[0]!.status);
    }
    expect(statuses).toEqual(["pending", "skipped", "pending", "skipped", "firing", "skipped"]);
    expect(channel.sent).toHaveLength(1);
  });

  it("notifies once when rounds of the same minute race", async () => {
    const store = memoryStore();
    const channel = recordingChannel();
    const source = pattern("BBBB");
    const options = { rules: [{ ...rule, for: 1 }], source, store, channels: [channel], now: minuteAt(1), defaultCooldownSeconds: 0 };
    const reports = await Promise.all([evaluateAlerts(options), evaluateAlerts(options), evaluateAlerts(options)]);
    expect(reports.map((r) => r.outcomes[0]!.status).sort()).toEqual(["firing", "skipped", "skipped"]);
    expect(channel.sent).toHaveLength(1);
  });

  it("leaves a rule untouched when its metrics fail, and evaluates the others", async () => {
    const store = memoryStore();
    const channel = recordingChannel();
    const good = pattern("B");
    const source: MetricSource = {
      sample: (q) => (q.metric === "error_rate" ? Promise.reject(new Error("clickhouse down")) : good.sample(q)),
      series: (q) => good.series(q),
    };
    const broken = { ...rule, id: "errors", metric: "error_rate" as const, threshold: 0.05 };
    const report = await evaluateAlerts({ rules: [{ ...rule, for: 1 }, broken], source, store, channels: [channel], now: minuteAt(1), defaultCooldownSeconds: 0 });
    expect(report.outcomes.map((o) => o.status)).toEqual(["firing", "error"]);
    expect(report.outcomes[1]!.error).toContain("clickhouse down");
    expect((await store.load(["errors"])).get("errors")!.version).toBe(0);
    expect(report.counts).toMatchObject({ evaluated: 1, errors: 1, firing: 1, notifications: 1 });
  });

  it("reports a failing channel without failing the round", async () => {
    const store = memoryStore();
    const good = recordingChannel("good");
    const bad = { name: "bad", send: () => Promise.reject(new Error("boom")) };
    const report = await evaluateAlerts({ rules: [{ ...rule, for: 1 }], source: pattern("B"), store, channels: [bad, good], now: minuteAt(1), defaultCooldownSeconds: 0 });
    expect(report.outcomes[0]!.deliveries).toEqual([
      { channel: "bad", ok: false, error: "boom" },
      { channel: "good", ok: true },
    ]);
    expect(good.sent).toHaveLength(1);
    expect(report.counts.failedDeliveries).toBe(1);
  });
});
