/** The Worker's bindings and Hono's one env type for every route and middleware. */
import type { RequestIdVariables } from "hono/request-id";
import type { Principal } from "../shared/api/key-verifier.ts";
import type { ConfigVariable } from "../shared/config.ts";
import type { RequestTiming } from "./middleware/timing.ts";
import type { Services } from "./services.ts";

/** The config variables, all strings (vars in wrangler.toml, secrets in .dev.vars or `wrangler secret`), and the bindings. */
export type Env = Partial<Record<ConfigVariable, string>> & {
  /** The rooms' Durable Object namespace (class MainRoom, wrangler.toml). */
  Main?: DurableObjectNamespace;
};

export interface AppEnv {
  Bindings: Env;
  Variables: RequestIdVariables & {
    /** The isolate's services for this env (middleware/services.ts); unset when the config is invalid. */
    services: Services | undefined;
    /** Set by requireScope once the bearer key is verified. */
    principal: Principal;
    /** The bearer key's verification, shared by the rate limiter and requireScope (verified-key.ts). */
    keyCheck: { token: string; principal: Promise<Principal | undefined> };
    timing: RequestTiming;
  };
}
