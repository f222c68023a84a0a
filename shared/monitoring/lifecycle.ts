/**
 * The alert lifecycle as a pure state machine: inactive -> pending -> firing ->
 * resolved (-> pending ...). One call per rule per evaluation; the caller
 * stores the next state (atomically, see state-store.ts) and sends the
 * notification it asks for.
 *
 * Cooldown: a firing notification is sent only if the rule's previous one is at
 * least `cooldownSeconds` old. A firing that is held back stays visible (status
 * firing, notified false); it is announced late if it is still firing when the
 * cooldown ends, and its resolve is announced only if its firing was.
 */
import type { Condition, Observation } from "./evaluate.ts";

export type AlertStatus = "inactive" | "pending" | "firing" | "resolved";

export interface AlertState {
  status: AlertStatus;
  /** The evaluation tick this state was computed for (ticks only move forward). */
  tick: number;
  /** Consecutive breaching evaluations (toward `for`). */
  breaches: number;
  /** Consecutive non-breaching evaluations while firing (toward `keepFiringFor`). */
  clears: number;
  /** When the current episode began (first breach), epoch ms. */
  activeSince: number | null;
  firingSince: number | null;
  resolvedAt: number | null;
  /** Whether this episode's firing was announced. */
  notified: boolean;
  /** The last firing notification of this rule, for the cooldown; kept across episodes. */
  lastNotifiedAt: number | null;
  evaluatedAt: number;
  condition: Condition;
  value: number | null;
  samples: number;
  bound: number | null;
}

export type NotificationKind = "firing" | "resolved";

export interface Transition {
  next: AlertState;
  /** The notification to send, if any. */
  notify: NotificationKind | undefined;
  /** What happened, for the history (firing includes a held-back firing). */
  event: NotificationKind | undefined;
}

export interface LifecycleRule {
  for: number;
  keepFiringFor: number;
}

export interface Step {
  now: number;
  tick: number;
  cooldownSeconds: number;
}

export const INITIAL_STATE: AlertState = Object.freeze({
  status: "inactive",
  tick: -1,
  breaches: 0,
  clears: 0,
  activeSince: null,
  firingSince: null,
  resolvedAt: null,
  notified: false,
  lastNotifiedAt: null,
  evaluatedAt: 0,
  condition: "no_data",
  value: null,
  samples: 0,
  bound: null,
});

function cooledDown(state: AlertState, step: Step): boolean {
  return state.lastNotifiedAt === null || step.now - state.lastNotifiedAt >= step.cooldownSeconds * 1000;
}

function fire(state: AlertState, step: Step): Transition {
  const announce = cooledDown(state, step);
  const next: AlertState = {
    ...state,
    status: "firing",
    firingSince: state.firingSince ?? step.now,
    clears: 0,
    notified: announce,
    lastNotifiedAt: announce ? step.now : state.lastNotifiedAt,
  };
  return { next, notify: announce ? "firing" : undefined, event: "firing" };
}

/**
 * @example
 * const { next, notify } = advance(previous ?? INITIAL_STATE, observation, rule, { now, tick, cooldownSeconds: 600 });
 */
export function advance(previous: AlertState, observation: Observation, rule: LifecycleRule, step: Step): Transition {
  const base: AlertState = {
    ...previous,
    tick: step.tick,
    evaluatedAt: step.now,
    condition: observation.condition,
    value: observation.value,
    samples: observation.samples,
    bound: observation.bound,
  };
  const breaching = observation.condition === "breaching";

  if (previous.status === "firing") {
    if (breaching) {
      const held = { ...base, clears: 0, breaches: previous.breaches + 1 };
      // A firing held back by the cooldown is announced once the cooldown is over.
      if (!previous.notified && cooledDown(previous, step)) return { next: { ...held, notified: true, lastNotifiedAt: step.now }, notify: "firing", event: "firing" };
      return { next: held, notify: undefined, event: undefined };
    }
    const clears = previous.clears + 1;
    if (clears <= rule.keepFiringFor) return { next: { ...base, clears, breaches: 0 }, notify: undefined, event: undefined };
    const next: AlertState = { ...base, status: "resolved", clears: 0, breaches: 0, resolvedAt: step.now, notified: false };
    return { next, notify: previous.notified ? "resolved" : undefined, event: "resolved" };
  }

  if (!breaching) {
    const status = previous.status === "pending" ? "inactive" : previous.status;
    return { next: { ...base, status, breaches: 0, clears: 0, activeSince: status === "inactive" ? null : base.activeSince }, notify: undefined, event: undefined };
  }

  const breaches = previous.status === "pending" ? previous.breaches + 1 : 1;
  const episode: AlertState = {
    ...base,
    breaches,
    clears: 0,
    activeSince: previous.status === "pending" ? previous.activeSince : step.now,
    firingSince: null,
    resolvedAt: null,
    notified: false,
  };
  if (breaches >= rule.for) return fire(episode, step);
  return { next: { ...episode, status: "pending" }, notify: undefined, event: undefined };
}
