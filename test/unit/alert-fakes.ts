/** In-memory stand-ins for the monitor's I/O, for pure-logic tests (Redis behaviour is tested against real Redis in test/integration). */
import type { AlertEvent } from "../../shared/monitoring/events.ts";
import { INITIAL_STATE, type AlertState } from "../../shared/monitoring/lifecycle.ts";
import type { MetricPoint, MetricQuery, MetricSample, MetricSource } from "../../shared/monitoring/metrics.ts";
import type { AlertStateStore, VersionedState } from "../../shared/monitoring/state-store.ts";
import type { NotificationChannel } from "../../shared/monitoring/channels/types.ts";

/** Same contract as the Redis store: compare version, require the tick to move forward. */
export function memoryStore(): AlertStateStore & { events: AlertEvent[] } {
  const states = new Map<string, VersionedState>();
  const events: AlertEvent[] = [];
  return {
    events,
    async load(ids) {
      return new Map(ids.map((id) => [id, structuredClone(states.get(id) ?? { version: 0, state: INITIAL_STATE })]));
    },
    async commit(id, expected, next: AlertState, event) {
      const current = states.get(id) ?? { version: 0, state: INITIAL_STATE };
      if (current.version !== expected || current.state.tick >= next.tick) return false;
      states.set(id, { version: expected + 1, state: structuredClone(next) });
      if (event) events.unshift(event);
      return true;
    },
    async history(limit) {
      return events.slice(0, limit);
    },
  };
}

/**
 * A metric whose per-minute value is `valueAt(minuteIndex)` with `samplesAt`
 * events; a window's value is the mean of its minutes (fine for a synthetic series).
 */
export function syntheticSource(valueAt: (minute: number) => number | null, samplesAt: (minute: number) => number = () => 1000): MetricSource {
  const minutes = (from: Date, to: Date) => {
    const out: number[] = [];
    for (let m = Math.floor(from.getTime() / 60_000); m < Math.floor(to.getTime() / 60_000); m++) out.push(m);
    return out;
  };
  const aggregate = (ms: number[]): MetricSample => {
    const values = ms.map(valueAt).filter((v): v is number => v !== null);
    const samples = ms.reduce((sum, m) => sum + (valueAt(m) === null ? 0 : samplesAt(m)), 0);
    return { value: values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length, samples };
  };
  return {
    async sample(query: MetricQuery) {
      return aggregate(minutes(query.from, query.to));
    },
    async series(query: MetricQuery & { stepSeconds: number }): Promise<MetricPoint[]> {
      const points: MetricPoint[] = [];
      for (let t = query.from.getTime(); t < query.to.getTime(); t += query.stepSeconds * 1000) {
        points.push({ t, ...aggregate(minutes(new Date(t), new Date(Math.min(t + query.stepSeconds * 1000, query.to.getTime())))) });
      }
      return points;
    },
  };
}

export function recordingChannel(name = "recorder"): NotificationChannel & { sent: AlertEvent[] } {
  const sent: AlertEvent[] = [];
  return {
    name,
    sent,
    async send(event) {
      sent.push(event);
    },
  };
}

/** The minute `index` minutes after a fixed origin, as the cron would schedule it. */
export const ORIGIN = Date.UTC(2026, 10, 2, 12, 0, 0);
export const minuteAt = (index: number) => new Date(ORIGIN + index * 60_000);
export const minuteIndex = (m: number) => m - ORIGIN / 60_000;
