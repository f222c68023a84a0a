/**
 * Local dev only: `POST /__netra/dev/drain` sends the isolate's queued metrics events and
 * waits for the inserts in flight, so the dev runner can stop `wrangler dev` without
 * losing them. wrangler kills workerd with SIGKILL about 150 ms after SIGINT, which cuts
 * the `ctx.waitUntil` inserts of the last requests short (README, "Metrics freshness");
 * scripts/lib/dev-servers.ts calls this route first, then sends SIGINT.
 *
 * The route exists only when ANALYTICS_DEV_DRAIN_TOKEN is set, which only the dev runner
 * does (a fresh random token per run, passed with `--var`; wrangler.toml and production
 * never set it), and it answers only a loopback host with that bearer token. Anything
 * else falls through to the app (404, as for any unknown path). It reveals nothing: the
 * answer says only whether the drain finished within its bound.
 *
 * @example
 * return devDrain(request, env) ?? app.fetch(request, env, ctx);
 */
import type { EventSink } from "../shared/analytics/event-sink.ts";
import { analyticsFor } from "./analytics.ts";
import { configFor } from "./config.ts";
import type { Env } from "./env.ts";

export const DEV_DRAIN_PATH = "/__netra/dev/drain";

/** Longer than one insert with its retries on a loaded machine, short enough for a Ctrl-C. */
const DRAIN_BOUND_MS = 10_000;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** The drain's answer for a request to the route, or undefined (the app answers) for every other request. */
export function devDrain(request: Request, env: Env): Promise<Response> | undefined {
  // The production path: one property read, no URL parse, no await; locally, API reads skip the parse too.
  if (env.ANALYTICS_DEV_DRAIN_TOKEN === undefined || request.method !== "POST") return undefined;
  const url = new URL(request.url);
  if (url.pathname !== DEV_DRAIN_PATH || !LOOPBACK.has(url.hostname)) return undefined;
  let token: string | undefined;
  try {
    token = configFor(env).analytics.devDrainToken;
  } catch {
    return undefined;
  }
  if (token === undefined || request.headers.get("authorization") !== `Bearer ${token}`) return undefined;
  return drain(analyticsFor(configFor(env)));
}

async function drain(sink: EventSink | undefined): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = sink === undefined
    ? true
    : await Promise.race([
      sink.drain().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DRAIN_BOUND_MS))),
    ]);
  clearTimeout(timer);
  return Response.json({ drained }, { headers: { "cache-control": "no-store" } });
}
