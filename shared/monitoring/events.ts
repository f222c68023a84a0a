/** What the history and the notifications say about an alert. */
import type { AlertState, NotificationKind } from "./lifecycle.ts";
import { formatMetricValue, METRICS, type MetricName } from "./metrics.ts";
import type { AlertRule, Severity } from "./rules.ts";

/** One firing or resolve, as kept in the history and sent to channels. */
export interface AlertEvent {
  /** Unique per rule, tick and kind: receivers can de-duplicate on it. */
  id: string;
  kind: NotificationKind;
  ruleId: string;
  name: string;
  severity: Severity;
  metric: MetricName;
  route: string | null;
  /** ISO time of the evaluation that produced the event. */
  at: string;
  value: number | null;
  bound: number | null;
  samples: number;
  /** One line for a human: what crossed what. */
  summary: string;
  /** Whether channels were told (false: held back by the cooldown). */
  notified: boolean;
  activeSince: string | null;
  firingSince: string | null;
  resolvedAt: string | null;
}

function describe(rule: AlertRule, state: AlertState, kind: NotificationKind): string {
  const value = formatMetricValue(rule.metric, state.value);
  const bound = formatMetricValue(rule.metric, state.bound);
  const where = rule.route ? ` on ${rule.route}` : "";
  const comparison =
    rule.kind === "threshold"
      ? `${METRICS[rule.metric].label} ${value} (${kind === "firing" ? rule.op : "limit"} ${bound})`
      : `${METRICS[rule.metric].label} ${value} (${rule.direction === "up" ? "above" : "below"} its ${rule.method === "ewma" ? "recent" : "last-week"} band at ${bound})`;
  return `[${kind.toUpperCase()}] ${rule.name}: ${comparison}${where}, ${state.samples} samples`;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function alertEvent(rule: AlertRule, state: AlertState, kind: NotificationKind, notified: boolean): AlertEvent {
  return {
    id: `${rule.id}:${state.tick}:${kind}`,
    kind,
    ruleId: rule.id,
    name: rule.name,
    severity: rule.severity,
    metric: rule.metric,
    route: rule.route ?? null,
    at: new Date(state.evaluatedAt).toISOString(),
    value: state.value,
    bound: state.bound,
    samples: state.samples,
    summary: describe(rule, state, kind),
    notified,
    activeSince: iso(state.activeSince),
    firingSince: iso(state.firingSince),
    resolvedAt: iso(state.resolvedAt),
  };
}
