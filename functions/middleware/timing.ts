/**
 * `x-cache` and `server-timing` on every API response. Routes record how their
 * statements were served (tier, database time); the header shows the worst tier
 * of the request (a request that touched the database is not an L1 hit).
 *
 * server-timing: `cache;desc=l1, db;dur=0.0, total;dur=0.4`
 */
import type { Context, MiddlewareHandler } from "hono";
import type { QueryTier } from "../../shared/db/query-types.ts";
import type { AppEnv } from "../env.ts";

/** Later in the list = further from the edge; the header reports the furthest one. */
const TIER_ORDER: readonly QueryTier[] = ["l1", "stale", "l2", "miss", "bypass"];

export class RequestTiming {
  readonly started: number;
  tier: QueryTier | undefined;
  dbMs = 0;
  constructor(started: number) {
    this.started = started;
  }
  record(served: { tier: QueryTier; dbMs: number }): void {
    this.dbMs += served.dbMs;
    if (this.tier === undefined || TIER_ORDER.indexOf(served.tier) > TIER_ORDER.indexOf(this.tier)) this.tier = served.tier;
  }
}

export const timing: MiddlewareHandler<AppEnv> = async (c, next) => {
  const requestTiming = new RequestTiming(performance.now());
  c.set("timing", requestTiming);
  await next();
  const total = performance.now() - requestTiming.started;
  const parts: string[] = [];
  if (requestTiming.tier !== undefined) {
    c.res.headers.set("x-cache", requestTiming.tier);
    parts.push(`cache;desc=${requestTiming.tier}`, `db;dur=${requestTiming.dbMs.toFixed(1)}`);
  }
  parts.push(`total;dur=${total.toFixed(1)}`);
  c.res.headers.set("server-timing", parts.join(", "));
};

/** Records a store result on the request and hands back its value. */
export function servedValue<T>(c: Context<AppEnv>, served: { value: T; tier: QueryTier; dbMs: number }): T {
  c.get("timing").record(served);
  return served.value;
}
