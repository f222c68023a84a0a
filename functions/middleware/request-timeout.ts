/**
 * Bounds each request by REQUEST_TIMEOUT_MS: past it the client gets 503
 * problem+json `request_timeout` (with Retry-After) and the route's work is
 * abandoned: its eventual result or error is dropped (an error is logged), and the
 * runtime cancels its outstanding I/O once the response is sent. Work that was
 * already committed stays committed, as with any client-side timeout; each
 * dependency also has its own, shorter bound (statement timeout, Redis and
 * ClickHouse timeouts), so this is the backstop.
 *
 * The index advisor's manual run is exempt: it is bounded by its own lock and
 * build timeouts and answers when it is done.
 *
 * @example
 * app.use(requestTimeout());
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { logError } from "../log.ts";
import { ProblemError } from "../../shared/api/problem.ts";

const EXEMPT = new Set(["POST /v1/ops/indexes/runs"]);

/** Without valid services (an invalid env) there is no bound: the route answers the config error at once. */
export function requestTimeout(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const timeoutMs = c.get("services")?.config.access.requestTimeoutMs;
    if (timeoutMs === undefined || EXEMPT.has(`${c.req.method} ${c.req.path}`)) return next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const work = next();
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const winner = await Promise.race([work.then(() => "done" as const), deadline]).finally(() => clearTimeout(timer));
    if (winner === "done") return;
    const requestId = c.get("requestId");
    work.catch((error: unknown) => logError("request failed after its timeout", error, { requestId }));
    c.header("retry-after", "1");
    throw new ProblemError({
      status: 503,
      code: "request_timeout",
      title: "Service Unavailable",
      detail: `The request did not complete within ${timeoutMs} ms`,
    });
  };
}
