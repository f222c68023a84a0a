/** Hono's type parameter for the versioned API: the app's env plus what its middleware sets. */
import type { RequestIdVariables } from "hono/request-id";
import type { Principal } from "../shared/api/key-verifier.ts";
import type { Env } from "./env.ts";
import type { RequestTiming } from "./middleware/timing.ts";

export interface ApiEnv {
  Bindings: Env;
  Variables: RequestIdVariables & {
    /** Set by requireScope once the bearer key is verified. */
    principal: Principal;
    /** The bearer key's verification, shared by the rate limiter and requireScope (verified-key.ts). */
    keyCheck: { token: string; principal: Promise<Principal | undefined> };
    timing: RequestTiming;
  };
}
