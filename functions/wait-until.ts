/**
 * Work that must outlive the answer goes to the request's `waitUntil`. Where there
 * is no execution context (`app.request()` in Node tests) the promise simply runs
 * on its own; callers hand in promises that never reject.
 *
 * @example
 * waitUntil(c, sink.flushDue());
 */
import type { Context } from "hono";

export function waitUntil(c: Context, promise: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(promise);
  } catch {
    // No execution context: nothing to keep alive.
  }
}
