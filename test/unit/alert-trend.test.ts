import { describe, expect, it } from "vitest";
import { evaluateAlerts } from "../../shared/monitoring/engine.ts";
import { observe } from "../../shared/monitoring/evaluate.ts";
import type { TrendRule } from "../../shared/monitoring/rules.ts";
import { ewmaBaseline, judgeTrend, windowBaseline } from "../../shared/monitoring/trend.ts";
import { memoryStore, minuteAt, minuteIndex, recordingChannel, syntheticSource } from "./alert-fakes.ts";

const ewmaRule: TrendRule = {
  id: "p95-trend",
  name: "p95 rising",
  severity: "warning",
  metric: "latency_p95_ms",
  kind: "trend",
  method: "ewma",
  direction: "up",
  deviations: 3,
  alpha: 0.3,
  baselineMinutes: 60,
  minBaselinePoints: 10,
  minRelativeChange: 0.2,
  windowSeconds: 300,
  minSamples: 50,
  for: 2,
  keepFiringFor: 1,
};

/** Deterministic noise in [-1, 1]. */
const wobble = (m: number) => Math.sin(m * 12.9898) * 0.999;

describe("baselines", () => {
  it("EWMA of a constant series has that mean and no deviation", () => {
    expect(ewmaBaseline([10, 10, 10, 10], 0.3)).toEqual({ mean: 10, deviation: 0, points: 4 });
  });

  it("EWMA follows recent values more than old ones", () => {
    const baseline = ewmaBaseline([...Array(20).fill(100), ...Array(5).fill(200)], 0.3)!;
    expect(baseline.mean).toBeGreaterThan(150);
    expect(baseline.deviation).toBeGreaterThan(0);
  });

  it("a flat baseline needs the relative change, not any wobble, to breach", () => {
    const flat = { mean: 100, deviation: 0, points: 12 };
    expect(judgeTrend(110, flat, { direction: "up", deviations: 3, minRelativeChange: 0.2 }).breaching).toBe(false);
    expect(judgeTrend(130, flat, { direction: "up", deviations: 3, minRelativeChange: 0.2 }).breaching).toBe(true);
  });

  it("direction decides which side is bad", () => {
    const baseline = windowBaseline([0.9, 0.92, 0.88, 0.91, 0.89])!;
    expect(judgeTrend(0.5, baseline, { direction: "down", deviations: 3, minRelativeChange: 0.1 }).breaching).toBe(true);
    expect(judgeTrend(0.99, baseline, { direction: "down", deviations: 3, minRelativeChange: 0.1 }).breaching).toBe(false);
  });
});

describe("EWMA trend rule", () => {
  const steadyThen = (jumpAt: number, to: number) => syntheticSource((m) => (minuteIndex(m) >= jumpAt ? to : 100 + 8 * wobble(m)));

  it("stays clear on a noisy but steady series", async () => {
    const observation = await observe(ewmaRule, steadyThen(10_000, 0), minuteAt(120));
    expect(observation.condition).toBe("clear");
    expect(observation.baseline!.points).toBe(12);
    expect(observation.baseline!.mean).toBeGreaterThan(90);
  });

  it("breaches when the window jumps well above the band", async () => {
    const observation = await observe(ewmaRule, steadyThen(115, 300), minuteAt(120));
    expect(observation.condition).toBe("breaching");
    expect(observation.value).toBe(300);
    expect(observation.bound!).toBeLessThan(300);
  });

  it("fires through the lifecycle after `for` breaching evaluations", async () => {
    const store = memoryStore();
    const channel = recordingChannel();
    const source = steadyThen(110, 400);
    const statuses: string[] = [];
    for (const i of [113, 114, 115, 116]) {
      statuses.push((await evaluateAlerts({ rules: [ewmaRule], source, store, channels: [channel], now: minuteAt(i), defaultCooldownSeconds: 0 })).outcomes[0]!.status);
    }
    expect(statuses).toEqual(["pending", "firing", "firing", "firing"]);
    expect(channel.sent.map((e) => e.kind)).toEqual(["firing"]);
  });

  it("says no data when too few baseline points have enough traffic", async () => {
    const quiet = syntheticSource(
      (m) => (minuteIndex(m) >= 115 ? 300 : 100),
      (m) => (minuteIndex(m) >= 100 ? 1000 : 1),
    );
    const observation = await observe(ewmaRule, quiet, minuteAt(120));
    expect(observation.condition).toBe("no_data");
  });
});

describe("week-over-week trend rule", () => {
  const weekly: TrendRule = { ...ewmaRule, id: "errors-weekly", metric: "error_rate", method: "week_over_week", deviations: 4, minRelativeChange: 1, minBaselinePoints: 8 };
  const WEEK_MIN = 7 * 24 * 60;
  const now = WEEK_MIN + 120;
  /** Last week around the same time: 1% errors with a little noise; `current` from the last 10 minutes on. */
  const source = (current: number, lastWeek = true) =>
    syntheticSource((m) => {
      const i = minuteIndex(m);
      if (i >= now - 10) return current;
      if (Math.abs(i - (now - WEEK_MIN)) <= 60) return lastWeek ? 0.01 + 0.002 * wobble(m) : null;
      return 0.01;
    });

  it("breaches when the rate is far above the same hour last week", async () => {
    expect((await observe(weekly, source(0.08), minuteAt(now))).condition).toBe("breaching");
  });

  it("stays clear inside last week's spread", async () => {
    expect((await observe(weekly, source(0.011), minuteAt(now))).condition).toBe("clear");
  });

  it("says no data when last week has no data", async () => {
    expect((await observe(weekly, source(0.08, false), minuteAt(now))).condition).toBe("no_data");
  });
});
