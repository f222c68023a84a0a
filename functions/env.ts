/** The Worker's bindings: the config variables, all strings (vars in wrangler.toml, secrets in .dev.vars or `wrangler secret`). */
import type { RequestIdVariables } from "hono/request-id";
import type { ConfigVariable } from "../shared/config.ts";

export type Env = Partial<Record<ConfigVariable, string>> & {
  /** The rooms' Durable Object namespace (class MainRoom, wrangler.toml). */
  Main?: DurableObjectNamespace;
};

/** Hono's type parameter for this app. */
export interface AppEnv {
  Bindings: Env;
  Variables: RequestIdVariables;
}
