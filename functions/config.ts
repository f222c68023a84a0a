/**
 * The config of an env, parsed once per isolate. workerd hands every request the
 * same env object, so the WeakMap hit is the common path; the fingerprint map
 * covers runtimes that rebuild env per request (clients stay per isolate there too).
 */
import { CONFIG_VARIABLES, loadConfig, type AppConfig } from "../shared/config.ts";
import type { Env } from "./env.ts";

const byEnv = new WeakMap<object, AppConfig>();
const byFingerprint = new Map<string, AppConfig>();
/** Distinct envs in one isolate are rare (tests); the bound keeps a misuse from leaking. */
const MAX_FINGERPRINTS = 16;

function fingerprint(env: Env): string {
  return JSON.stringify(CONFIG_VARIABLES.map((name) => env[name] ?? null));
}

/** The parsed config for `env`; throws ConfigError (not cached) when it is invalid. */
export function configFor(env: Env): AppConfig {
  const cached = byEnv.get(env);
  if (cached !== undefined) return cached;
  const key = fingerprint(env);
  let config = byFingerprint.get(key);
  if (config === undefined) {
    config = loadConfig(env);
    if (byFingerprint.size >= MAX_FINGERPRINTS) byFingerprint.clear();
    byFingerprint.set(key, config);
  }
  byEnv.set(env, config);
  return config;
}
