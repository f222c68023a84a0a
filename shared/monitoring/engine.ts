/**
 * One evaluation round: every rule against the metrics at `now`, the lifecycle
 * stepped, the new state committed atomically, and the notifications sent by
 * whichever evaluator's commit won. Two rounds for the same minute (two
 * isolates, a retried cron, a manual trigger) therefore notify exactly once;
 * a round that loses the race to a newer state reloads and recomputes.
 * Delivery follows the commit: an isolate that dies between the two loses that
 * notification (at most once) rather than risking a duplicate; the transition
 * is still in the history and visible at GET /v1/ops/alerts.
 *
 * @example
 * const report = await evaluateAlerts({ rules, source, store, channels, now: new Date(), defaultCooldownSeconds: 600 });
 */
import { deliver } from "./channels/deliver.ts";
import type { DeliveryResult, NotificationChannel } from "./channels/types.ts";
import { observe, type Condition, type Observation } from "./evaluate.ts";
import { alertEvent } from "./events.ts";
import { advance, type AlertStatus, type NotificationKind } from "./lifecycle.ts";
import type { MetricSource } from "./metrics.ts";
import type { AlertRule } from "./rules.ts";
import type { AlertStateStore, VersionedState } from "./state-store.ts";

export interface EvaluateOptions {
  rules: readonly AlertRule[];
  source: MetricSource;
  store: AlertStateStore;
  channels: readonly NotificationChannel[];
  now: Date;
  defaultCooldownSeconds: number;
  /** The evaluation period; `for` and `keepFiringFor` count periods. The alerts cron runs every minute. */
  intervalSeconds?: number;
}

export interface RuleOutcome {
  ruleId: string;
  /** The rule's status after this round; "skipped" when another round already evaluated this period. */
  status: AlertStatus | "skipped" | "error";
  condition?: Condition;
  value?: number | null;
  notified?: NotificationKind;
  deliveries?: DeliveryResult[];
  error?: string;
}

export interface EvaluationReport {
  tick: number;
  outcomes: RuleOutcome[];
  counts: { evaluated: number; skipped: number; errors: number; pending: number; firing: number; notifications: number; failedDeliveries: number };
}

/** Commit attempts per rule before giving up on a contended state (each loss means another round progressed). */
const MAX_COMMIT_ATTEMPTS = 3;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The evaluation period `now` falls in: rounds of the same period share a tick. */
export function tickOf(now: Date, intervalSeconds = 60): number {
  return Math.floor(now.getTime() / (intervalSeconds * 1000));
}

async function evaluateRule(rule: AlertRule, loaded: VersionedState, options: EvaluateOptions, tick: number): Promise<RuleOutcome> {
  let { version, state } = loaded;
  if (state.tick >= tick) return { ruleId: rule.id, status: "skipped" };
  let observation: Observation;
  try {
    observation = await observe(rule, options.source, options.now);
  } catch (error) {
    // State is left untouched: the next round evaluates this rule again.
    return { ruleId: rule.id, status: "error", error: `metrics: ${message(error)}` };
  }
  const step = { now: options.now.getTime(), tick, cooldownSeconds: rule.cooldownSeconds ?? options.defaultCooldownSeconds };
  for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
    const transition = advance(state, observation, rule, step);
    const event = transition.event ? alertEvent(rule, transition.next, transition.event, transition.notify !== undefined) : undefined;
    if (await options.store.commit(rule.id, version, transition.next, event)) {
      const outcome: RuleOutcome = { ruleId: rule.id, status: transition.next.status, condition: observation.condition, value: observation.value };
      if (transition.notify !== undefined && event !== undefined) {
        outcome.notified = transition.notify;
        outcome.deliveries = await deliver(options.channels, event);
      }
      return outcome;
    }
    const fresh = (await options.store.load([rule.id])).get(rule.id);
    if (fresh === undefined || fresh.state.tick >= tick) return { ruleId: rule.id, status: "skipped" };
    ({ version, state } = fresh);
  }
  return { ruleId: rule.id, status: "error", error: "state kept changing under this round (contention)" };
}

export async function evaluateAlerts(options: EvaluateOptions): Promise<EvaluationReport> {
  const tick = tickOf(options.now, options.intervalSeconds);
  const states = await options.store.load(options.rules.map((rule) => rule.id));
  const outcomes = await Promise.all(
    options.rules.map((rule) =>
      evaluateRule(rule, states.get(rule.id)!, options, tick).catch((error: unknown): RuleOutcome => ({ ruleId: rule.id, status: "error", error: message(error) })),
    ),
  );
  const counts = { evaluated: 0, skipped: 0, errors: 0, pending: 0, firing: 0, notifications: 0, failedDeliveries: 0 };
  for (const outcome of outcomes) {
    if (outcome.status === "skipped") counts.skipped++;
    else if (outcome.status === "error") counts.errors++;
    else counts.evaluated++;
    if (outcome.status === "pending") counts.pending++;
    if (outcome.status === "firing") counts.firing++;
    if (outcome.notified) counts.notifications++;
    counts.failedDeliveries += outcome.deliveries?.filter((d) => !d.ok).length ?? 0;
  }
  return { tick, outcomes, counts };
}
