/**
 * The optimizer's ReadContext for a request: background refreshes go to waitUntil,
 * and read-your-writes across isolates. A client sends back the consistency token
 * of its last write (header `x-netra-consistency`, or the cookie of that name a
 * write sets for browsers); reads then serve nothing older than it. Every write
 * answers with the token: the versions it produced merged with the one it carried.
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { ConsistencyTokenError, decodeToken, encodeToken, mergeTokens } from "../../shared/cache/consistency-token.ts";
import type { TagVersions } from "../../shared/cache/types.ts";
import { ProblemError } from "../../shared/api/problem.ts";
import type { ReadContext } from "../../shared/db/query-types.ts";
import type { AppEnv } from "../env.ts";

export const CONSISTENCY_HEADER = "x-netra-consistency";
export const CONSISTENCY_COOKIE = "netra_consistency";
/** Long past any staleness bound: after it every isolate has caught up and the token is moot. */
const COOKIE_MAX_AGE_SECONDS = 60;

interface Session {
  carried: TagVersions | undefined;
  wrote: Map<string, number>;
}

/** One per request, however many times a route asks for its ReadContext. */
const sessions = new WeakMap<Request, Session>();

function sessionOf(c: Context<AppEnv>): Session {
  let session = sessions.get(c.req.raw);
  if (session === undefined) {
    session = { carried: carriedToken(c), wrote: new Map() };
    sessions.set(c.req.raw, session);
  }
  return session;
}

/** The header is the client's explicit word: malformed is a 400. A malformed cookie is ignored. */
function carriedToken(c: Context<AppEnv>): TagVersions | undefined {
  const header = c.req.header(CONSISTENCY_HEADER);
  if (header !== undefined) {
    try {
      return decodeToken(header);
    } catch (error) {
      if (!(error instanceof ConsistencyTokenError)) throw error;
      throw new ProblemError({
        status: 400,
        code: error.code,
        detail: `${CONSISTENCY_HEADER}: ${error.message}`,
        errors: [{ in: "header", path: CONSISTENCY_HEADER, message: error.message }],
      });
    }
  }
  const cookie = getCookie(c, CONSISTENCY_COOKIE);
  if (cookie === undefined) return undefined;
  try {
    return decodeToken(cookie);
  } catch {
    return undefined;
  }
}

export function readContext(c: Context<AppEnv>): ReadContext {
  let executionCtx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    executionCtx = c.executionCtx;
  } catch {
    // app.request() in tests has no ExecutionContext: refreshes then run unawaited.
  }
  const requestId = c.get("requestId");
  const session = sessionOf(c);
  const ctx: ReadContext = {
    requestId,
    wrote(versions) {
      for (const [tag, version] of versions) session.wrote.set(tag, Math.max(session.wrote.get(tag) ?? 0, version));
      const token = encodeToken(mergeTokens(session.wrote, session.carried));
      c.header(CONSISTENCY_HEADER, token);
      setCookie(c, CONSISTENCY_COOKIE, token, { path: "/", httpOnly: true, sameSite: "Lax", maxAge: COOKIE_MAX_AGE_SECONDS });
    },
  };
  if (session.carried !== undefined) ctx.consistency = session.carried;
  if (executionCtx !== undefined) ctx.waitUntil = (promise) => executionCtx.waitUntil(promise);
  return ctx;
}
