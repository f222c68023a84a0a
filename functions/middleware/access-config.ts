/**
 * The config the access middleware needs, or undefined when the env is invalid:
 * the route that needs the config then answers the ConfigError (500 config_invalid);
 * the access layer must not turn a misconfiguration into a different error first.
 */
import type { AppConfig } from "../../shared/config.ts";
import { configFor } from "../config.ts";
import type { Env } from "../env.ts";

export function accessConfig(env: Env): AppConfig | undefined {
  try {
    return configFor(env);
  } catch {
    return undefined;
  }
}
