/**
 * The first middleware: puts the isolate's services for this env on `c.var.services`
 * (built once per config: functions/services.ts), so every middleware and route
 * below reads the same config, cache, optimizer, stores, key verifier, limits and
 * CORS policy from one place.
 *
 * An invalid config leaves `services` unset: the access middlewares then step
 * aside, and a route that needs services throws the env's ConfigError through
 * requireServices (500 `config_invalid`), so a misconfiguration is never reported
 * as some other error first.
 *
 * @example
 * app.use(isolateServices());
 * app.get("/x", (c) => c.json(requireServices(c).optimizer.stats()));
 */
import type { Context, MiddlewareHandler } from "hono";
import { ConfigError } from "../../shared/config.ts";
import type { AppEnv } from "../env.ts";
import { servicesFor, type Services } from "../services.ts";

export function isolateServices(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    try {
      c.set("services", servicesFor(c.env));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
    await next();
  };
}

/** The request's services; throws the env's ConfigError when its config is invalid. */
export function requireServices(c: Context<AppEnv>): Services {
  // servicesFor parses the env again only here, to throw its ConfigError (invalid configs are not cached).
  return c.get("services") ?? servicesFor(c.env);
}
