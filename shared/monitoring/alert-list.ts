/** Active alerts (pending or firing, from each rule's state) and the recent history, for the ops API and the dashboard. */
import type { AlertEvent } from "./events.ts";
import { formatMetricValue, type MetricName } from "./metrics.ts";
import type { AlertRule, Severity } from "./rules.ts";
import type { AlertStateStore } from "./state-store.ts";

export interface ActiveAlert {
  ruleId: string;
  name: string;
  severity: Severity;
  metric: MetricName;
  route: string | null;
  status: "pending" | "firing";
  activeSince: string | null;
  firingSince: string | null;
  evaluatedAt: string;
  value: number | null;
  /** The value as a person reads it ("812 ms", "7.3%"). */
  display: string;
  bound: number | null;
  samples: number;
  /** False while a firing is held back by the cooldown. */
  notified: boolean;
}

export interface AlertListing {
  active: ActiveAlert[];
  recent: AlertEvent[];
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * @example
 * const { active, recent } = await listAlerts(config.monitoring.rules, store, 50);
 */
export async function listAlerts(rules: readonly AlertRule[], store: AlertStateStore, recentLimit: number): Promise<AlertListing> {
  const [states, recent] = await Promise.all([store.load(rules.map((rule) => rule.id)), store.history(recentLimit)]);
  const active: ActiveAlert[] = [];
  for (const rule of rules) {
    const state = states.get(rule.id)?.state;
    if (state === undefined || (state.status !== "pending" && state.status !== "firing")) continue;
    active.push({
      ruleId: rule.id,
      name: rule.name,
      severity: rule.severity,
      metric: rule.metric,
      route: rule.route ?? null,
      status: state.status,
      activeSince: iso(state.activeSince),
      firingSince: iso(state.firingSince),
      evaluatedAt: new Date(state.evaluatedAt).toISOString(),
      value: state.value,
      display: formatMetricValue(rule.metric, state.value),
      bound: state.bound,
      samples: state.samples,
      notified: state.notified,
    });
  }
  // Firing before pending, then by severity: what needs a person comes first.
  active.sort((a, b) => (a.status === b.status ? SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] : a.status === "firing" ? -1 : 1));
  return { active, recent };
}
