/**
 * Baselines for trend rules. Pure functions over plain numbers so they are
 * tested on synthetic series.
 */

export interface Baseline {
  mean: number;
  /** Standard deviation around the mean (EW for ewma, sample for a window). */
  deviation: number;
  points: number;
}

/**
 * Exponentially weighted mean and standard deviation of `values`, oldest first
 * (West's incremental form: each point moves the mean by alpha of its distance).
 *
 * @example
 * ewmaBaseline([10, 10, 10], 0.3); // { mean: 10, deviation: 0, points: 3 }
 */
export function ewmaBaseline(values: readonly number[], alpha: number): Baseline | undefined {
  const [first, ...rest] = values;
  if (first === undefined) return undefined;
  let mean = first;
  let variance = 0;
  for (const value of rest) {
    const diff = value - mean;
    const increment = alpha * diff;
    mean += increment;
    variance = (1 - alpha) * (variance + diff * increment);
  }
  return { mean, deviation: Math.sqrt(variance), points: values.length };
}

/** Plain mean and sample standard deviation (for the same-hour-last-week distribution). */
export function windowBaseline(values: readonly number[]): Baseline | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  const deviation = values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0;
  return { mean, deviation, points: values.length };
}

export interface TrendTest {
  direction: "up" | "down";
  deviations: number;
  minRelativeChange: number;
}

export interface TrendVerdict {
  breaching: boolean;
  /** How many deviations the value sits from the mean, signed in the bad direction (Infinity for a flat baseline). */
  score: number;
  /** The edge of the band in the bad direction: the value that would just breach. */
  bound: number;
}

/**
 * Is `value` outside the band in the bad direction, AND far enough from the mean
 * in relative terms? The second test keeps a perfectly flat baseline (deviation
 * 0) from alerting on the first tiny wobble.
 */
export function judgeTrend(value: number, baseline: Baseline, test: TrendTest): TrendVerdict {
  const sign = test.direction === "up" ? 1 : -1;
  const distance = sign * (value - baseline.mean);
  const score = baseline.deviation > 0 ? distance / baseline.deviation : distance > 0 ? Infinity : 0;
  const relativeNeeded = Math.abs(baseline.mean) * test.minRelativeChange;
  const needed = Math.max(test.deviations * baseline.deviation, relativeNeeded);
  const bound = baseline.mean + sign * needed;
  return { breaching: distance > 0 && distance > needed, score, bound };
}
