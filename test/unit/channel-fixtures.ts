/** A firing event as the engine would produce it, for channel tests. */
import type { AlertEvent } from "../../shared/monitoring/events.ts";

export function firingEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: "latency-p95:29384720:firing",
    kind: "firing",
    ruleId: "latency-p95",
    name: "API latency p95 above 500 ms",
    severity: "critical",
    metric: "latency_p95_ms",
    route: "/v1/users/:id",
    at: "2026-11-02T12:03:00.000Z",
    value: 812.4,
    bound: 500,
    samples: 1234,
    summary: "[FIRING] API latency p95 above 500 ms: Latency p95 812 ms (> 500 ms) on /v1/users/:id, 1234 samples",
    notified: true,
    activeSince: "2026-11-02T12:01:00.000Z",
    firingSince: "2026-11-02T12:03:00.000Z",
    resolvedAt: null,
    ...overrides,
  };
}
