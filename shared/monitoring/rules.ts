/**
 * Alert rules as declared in configuration (ALERT_RULES, a JSON array), validated
 * with zod/mini. Counts (`for`, `keepFiringFor`) are in evaluations: the alerts
 * cron runs once a minute, so `for: 3` means "three minutes in a row".
 *
 * @example
 * const result = parseAlertRules('[{"id":"p95","metric":"latency_p95_ms","kind":"threshold","op":">","threshold":500}]');
 * if (result.ok) result.rules[0].for; // 3
 */
import * as z from "zod/mini";
import { parseJsonList, type ParseResult } from "./json-config.ts";
import { METRIC_NAMES, METRICS, type MetricName } from "./metrics.ts";

export type Severity = "info" | "warning" | "critical";
export type ThresholdOp = ">" | ">=" | "<" | "<=";
export type TrendMethod = "ewma" | "week_over_week";

interface RuleBase {
  /** Stable id: the Redis state key and the alert's identity in notifications. */
  id: string;
  name: string;
  severity: Severity;
  metric: MetricName;
  route?: string | undefined;
  /** The window each evaluation aggregates over, ending at the evaluation time. */
  windowSeconds: number;
  /** Below this many events the value is too noisy to judge: the evaluation counts as "no data". */
  minSamples: number;
  /** Consecutive breaching evaluations before pending becomes firing. */
  for: number;
  /** Consecutive clear evaluations a firing alert tolerates before it resolves. */
  keepFiringFor: number;
  /** Minimum time between two firing notifications of this rule; the global default when absent. */
  cooldownSeconds?: number | undefined;
}

export interface ThresholdRule extends RuleBase {
  kind: "threshold";
  op: ThresholdOp;
  threshold: number;
}

export interface TrendRule extends RuleBase {
  kind: "trend";
  /** `ewma`: against the recent past; `week_over_week`: against the same hour a week earlier. */
  method: TrendMethod;
  /** Which way is bad: latency going `up`, hit ratio going `down`. */
  direction: "up" | "down";
  /** Band width in standard deviations (EWMA) or the z-score limit (week over week). */
  deviations: number;
  /** EWMA smoothing factor in (0, 1]. */
  alpha: number;
  /**
   * Minutes of history in the baseline, in buckets as wide as the window (like is
   * compared with like): the minutes just before the window (ewma), or centred on
   * the same time a week earlier (week_over_week).
   */
  baselineMinutes: number;
  /** Baseline points (each with at least minSamples events) needed to judge at all. */
  minBaselinePoints: number;
  /** Also require this relative change from the baseline mean, so a flat, quiet baseline does not alert on noise. */
  minRelativeChange: number;
}

export type AlertRule = ThresholdRule | TrendRule;

const id = z.string().check(z.regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, { error: "must be a lowercase slug (a-z, 0-9, _ . -), up to 64 chars" }));
const count = (fallback: number, min: number, max: number) =>
  z._default(z.int({ error: "must be an integer" }).check(z.minimum(min, { error: `must be >= ${min}` }), z.maximum(max, { error: `must be <= ${max}` })), fallback);
const finite = z.number({ error: "must be a number" }).check(z.refine((n: number) => Number.isFinite(n), { error: "must be a finite number" }));

const base = {
  id,
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  severity: z._default(z.enum(["info", "warning", "critical"], { error: 'must be "info", "warning" or "critical"' }), "warning"),
  metric: z.enum(METRIC_NAMES, { error: `must be one of ${METRIC_NAMES.join(", ")}` }),
  route: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  windowSeconds: count(300, 60, 86_400),
  minSamples: count(20, 0, 1_000_000_000),
  for: count(3, 1, 1_440),
  keepFiringFor: count(2, 0, 1_440),
  cooldownSeconds: z.optional(z.int().check(z.minimum(0), z.maximum(7 * 86_400))),
};

const thresholdRule = z.strictObject({
  ...base,
  kind: z.literal("threshold"),
  op: z.enum([">", ">=", "<", "<="], { error: 'must be one of ">", ">=", "<", "<="' }),
  threshold: finite,
});

const trendRule = z.strictObject({
  ...base,
  kind: z.literal("trend"),
  method: z.enum(["ewma", "week_over_week"], { error: 'must be "ewma" or "week_over_week"' }),
  direction: z.enum(["up", "down"], { error: 'must be "up" or "down"' }),
  deviations: z._default(z.number().check(z.gt(0), z.maximum(20)), 3),
  alpha: z._default(z.number().check(z.gt(0), z.maximum(1)), 0.3),
  baselineMinutes: count(60, 5, 1_440),
  minBaselinePoints: count(10, 2, 10_080),
  minRelativeChange: z._default(z.number().check(z.minimum(0), z.maximum(100)), 0.2),
});

const ruleSchema = z.discriminatedUnion("kind", [thresholdRule, trendRule], {
  error: 'kind must be "threshold" or "trend"',
});

const rulesSchema = z.array(ruleSchema).check(
  z.superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: "custom", path: [index, "id"], message: `duplicate rule id "${rule.id}"`, input: rule.id });
      seen.add(rule.id);
      // A ratio written as a percentage (80 instead of 0.8) would never fire: say so up front.
      if (rule.kind === "threshold" && METRICS[rule.metric].unit === "ratio" && (rule.threshold < 0 || rule.threshold > 1)) {
        ctx.addIssue({ code: "custom", path: [index, "threshold"], message: `${rule.metric} is a ratio: threshold must lie in 0..1`, input: rule.threshold });
      }
    });
  }),
);

/**
 * Validates ALERT_RULES. Absent -> DEFAULT_RULES. Every rule gets its defaults
 * filled in and a name (the metric label when not given).
 */
export function parseAlertRules(text: string | undefined): ParseResult<AlertRule[]> {
  if (text === undefined) return { ok: true, value: DEFAULT_RULES.map((rule) => ({ ...rule })) };
  const result = parseJsonList(text, rulesSchema, "rule");
  if (!result.ok) return result;
  return { ok: true, value: result.value.map((rule) => ({ ...rule, name: rule.name ?? `${METRICS[rule.metric].label} (${rule.id})` })) };
}

const common = { severity: "warning", windowSeconds: 300, minSamples: 20, for: 3, keepFiringFor: 2 } as const;
const trendDefaults = { kind: "trend", deviations: 3, alpha: 0.3, baselineMinutes: 60, minBaselinePoints: 10, minRelativeChange: 0.2 } as const;

/**
 * The seed's alerting, as rules: latency and error thresholds, the 80% cache hit
 * target, slow queries, WebSocket health, ingestion drops, and two trend rules.
 */
export const DEFAULT_RULES: readonly AlertRule[] = Object.freeze([
  { ...common, id: "latency-p95", name: "API latency p95 above 500 ms", metric: "latency_p95_ms", kind: "threshold", op: ">", threshold: 500, minSamples: 50 },
  { ...common, id: "latency-p99", name: "API latency p99 above 1.5 s", metric: "latency_p99_ms", kind: "threshold", op: ">", threshold: 1500, minSamples: 100 },
  { ...common, id: "error-rate", name: "Error rate above 5%", severity: "critical", metric: "error_rate", kind: "threshold", op: ">", threshold: 0.05, minSamples: 50, for: 2 },
  { ...common, id: "cache-hit-ratio", name: "Cache hit ratio below the 80% target", metric: "cache_hit_ratio", kind: "threshold", op: "<", threshold: 0.8, windowSeconds: 600, minSamples: 100, for: 5 },
  { ...common, id: "slow-queries", name: "More than 10 slow queries in 5 minutes", metric: "slow_queries", kind: "threshold", op: ">", threshold: 10, minSamples: 0, for: 2 },
  { ...common, id: "ws-drop-rate", name: "WebSocket frames dropped above 1%", metric: "ws_drop_rate", kind: "threshold", op: ">", threshold: 0.01, minSamples: 200 },
  { ...common, id: "ws-queue-wait", name: "WebSocket queue wait above 150 ms", metric: "ws_queue_wait_ms", kind: "threshold", op: ">", threshold: 150, minSamples: 200 },
  { ...common, id: "ingestion-drops", name: "Metrics events dropped", severity: "critical", metric: "ingestion_drops", kind: "threshold", op: ">", threshold: 0, minSamples: 0, for: 1, keepFiringFor: 5 },
  { ...common, ...trendDefaults, id: "latency-p95-trend", name: "API latency p95 rising against its last hour", metric: "latency_p95_ms", method: "ewma", direction: "up", minSamples: 50, minRelativeChange: 0.5 },
  { ...common, ...trendDefaults, id: "error-rate-weekly", name: "Error rate unusual for this hour of the week", metric: "error_rate", method: "week_over_week", direction: "up", deviations: 4, minSamples: 100, minRelativeChange: 1, for: 5 },
] satisfies AlertRule[]);
