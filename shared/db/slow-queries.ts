/**
 * The most recent slow queries in a fixed-size ring buffer: an isolate that runs
 * for days keeps the same memory.
 *
 * @example
 * const log = new SlowQueryLog(100);
 * log.add(record);
 * log.recent(); // newest first
 */
import type { SlowQueryRecord } from "./query-types.ts";

export class SlowQueryLog {
  private readonly ring: (SlowQueryRecord | undefined)[];
  private next = 0;
  private total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
    this.ring = new Array<SlowQueryRecord | undefined>(capacity);
  }

  /** Slow queries seen since start, including those the ring has dropped. */
  get seen(): number {
    return this.total;
  }

  add(record: SlowQueryRecord): void {
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
  }

  /** Newest first. */
  recent(): SlowQueryRecord[] {
    const out: SlowQueryRecord[] = [];
    for (let i = 1; i <= this.capacity; i++) {
      const record = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (record === undefined) break;
      out.push(record);
    }
    return out;
  }
}

const QUOTED = /'(?:[^']|'')*'/g;
/** A number standing alone (not part of a name like items2 or idx_1). */
const BARE_NUMBER = /(?<![\w.$])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])/g;

/**
 * An EXPLAIN plan without the statement's values: the custom plan of the slow call
 * prints its parameters as literals (`(email = 'a@b.c'::text)`), so every quoted
 * string and bare number inside the plan's text fields becomes `?`. Numeric fields
 * (costs, rows, widths) are plan facts and stay.
 *
 * @example
 * redactPlan([{ Plan: { Filter: "(name <> 'secret'::text)", "Plan Rows": 1 } }]);
 * // [{ Plan: { Filter: "(name <> ?::text)", "Plan Rows": 1 } }]
 */
export function redactPlan(plan: unknown): unknown {
  if (typeof plan === "string") return plan.replace(QUOTED, "?").replace(BARE_NUMBER, "?");
  if (Array.isArray(plan)) return plan.map(redactPlan);
  if (typeof plan === "object" && plan !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(plan)) out[key] = redactPlan(value);
    return out;
  }
  return plan;
}
