/** The optimizer's ReadContext for a request: background refreshes go to waitUntil. */
import type { Context } from "hono";
import type { ReadContext } from "../../shared/db/query-types.ts";
import type { ApiEnv } from "../api-env.ts";

export function readContext(c: Context<ApiEnv>): ReadContext {
  let executionCtx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    executionCtx = c.executionCtx;
  } catch {
    // app.request() in tests has no ExecutionContext: refreshes then run unawaited.
  }
  const requestId = c.get("requestId");
  return executionCtx ? { waitUntil: (promise) => executionCtx.waitUntil(promise), requestId } : { requestId };
}
