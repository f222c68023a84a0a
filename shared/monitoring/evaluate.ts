/**
 * One rule against the metrics at one instant: breaching, clear, or no data
 * (too few events to judge). Pure apart from the MetricSource it is given.
 */
import type { MetricPoint, MetricSource } from "./metrics.ts";
import type { AlertRule, ThresholdRule, TrendRule } from "./rules.ts";
import { ewmaBaseline, judgeTrend, windowBaseline } from "./trend.ts";

export type Condition = "breaching" | "clear" | "no_data";

export interface Observation {
  condition: Condition;
  value: number | null;
  samples: number;
  /** The threshold, or the band edge a trend rule compared against. */
  bound: number | null;
  /** Trend rules: the baseline mean and how many points it stands on. */
  baseline?: { mean: number; deviation: number; points: number };
}

const WEEK_MS = 7 * 86_400_000;

function compare(value: number, rule: ThresholdRule): boolean {
  switch (rule.op) {
    case ">":
      return value > rule.threshold;
    case ">=":
      return value >= rule.threshold;
    case "<":
      return value < rule.threshold;
    case "<=":
      return value <= rule.threshold;
  }
}

/** Points that stand on enough events to be trusted, as plain values. */
function usableValues(points: readonly MetricPoint[], minSamples: number): number[] {
  const values: number[] = [];
  for (const point of points) {
    if (point.value !== null && Number.isFinite(point.value) && point.samples >= minSamples) values.push(point.value);
  }
  return values;
}

async function trendObservation(rule: TrendRule, source: MetricSource, now: Date, current: { value: number; samples: number }): Promise<Observation> {
  const windowMs = rule.windowSeconds * 1000;
  const spanMs = rule.baselineMinutes * 60_000;
  const windowStart = now.getTime() - windowMs;
  const [from, to] =
    rule.method === "ewma"
      ? [windowStart - spanMs, windowStart]
      : [windowStart - WEEK_MS - spanMs / 2 + windowMs / 2, windowStart - WEEK_MS + spanMs / 2 + windowMs / 2];
  const points = await source.series({ metric: rule.metric, route: rule.route, from: new Date(from), to: new Date(to), stepSeconds: rule.windowSeconds });
  const values = usableValues(points, rule.minSamples);
  const baseline = rule.method === "ewma" ? ewmaBaseline(values, rule.alpha) : windowBaseline(values);
  if (baseline === undefined || baseline.points < rule.minBaselinePoints) {
    return { condition: "no_data", value: current.value, samples: current.samples, bound: null, ...(baseline ? { baseline } : {}) };
  }
  const verdict = judgeTrend(current.value, baseline, rule);
  return { condition: verdict.breaching ? "breaching" : "clear", value: current.value, samples: current.samples, bound: verdict.bound, baseline };
}

/**
 * @example
 * const obs = await observe(rule, source, new Date());
 * if (obs.condition === "breaching") ...
 */
export async function observe(rule: AlertRule, source: MetricSource, now: Date): Promise<Observation> {
  const from = new Date(now.getTime() - rule.windowSeconds * 1000);
  const sample = await source.sample({ metric: rule.metric, route: rule.route, from, to: now });
  if (sample.value === null || !Number.isFinite(sample.value) || sample.samples < rule.minSamples) {
    return { condition: "no_data", value: sample.value, samples: sample.samples, bound: rule.kind === "threshold" ? rule.threshold : null };
  }
  if (rule.kind === "threshold") {
    return { condition: compare(sample.value, rule) ? "breaching" : "clear", value: sample.value, samples: sample.samples, bound: rule.threshold };
  }
  return trendObservation(rule, source, now, { value: sample.value, samples: sample.samples });
}
