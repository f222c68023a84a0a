/**
 * A Scheduler whose clock only moves when told to: unit tests and simulations
 * step time and the due timers run in time order, deterministically.
 *
 * @example
 * const clock = new ManualScheduler();
 * clock.setTimer(100, () => console.log("flushed"));
 * clock.advance(100); // runs the timer
 */
import type { Scheduler } from "./message-batcher-types.ts";

interface Timer {
  at: number;
  order: number;
  fn: () => void;
}

export class ManualScheduler implements Scheduler {
  private time: number;
  private order = 0;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.time + Math.max(0, ms), order: this.order++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.length;
  }

  /** Move the clock forward by `ms`, running every timer that comes due, in order (timers set meanwhile included). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }

  private nextDue(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at > end) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.order < best.order)) best = t;
    }
    return best;
  }
}
