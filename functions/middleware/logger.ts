/**
 * A structured JSON line per request that needs a look (LOG_REQUESTS=errors, the default:
 * answered 5xx, or slower than LOG_SLOW_REQUEST_MS), or per request (all):
 * `{"level","message":"request","requestId","method","path","status","durationMs","keyId"}`.
 * Why not every request by default: Workers Logs already records every invocation (method,
 * URL, status, duration, CPU) and request_events every API request with its key and cache
 * tier, so a line per 200 repeats both; and under `wrangler dev` each console call is relayed
 * through the DevTools inspector, which halves a bare worker's throughput (bench "floor").
 * The path is logged without its query string (which may carry anything), the
 * key by its public id only; headers and bodies are never logged. Every line goes
 * through log.ts's redaction, which also learns this config's secrets here (the
 * admin key, tokens and passwords), so no log line of the isolate can print them.
 *
 * @example
 * app.use(requestId());
 * app.use(requestLog());
 */
import type { MiddlewareHandler } from "hono";
import type { AppConfig } from "../../shared/config.ts";
import type { AppEnv } from "../env.ts";
import { logRequest, rememberSecrets } from "../log.ts";

const remembered = new WeakSet<AppConfig>();

/** The secret values of a config: what the redactor must never let through. */
export function configSecrets(config: AppConfig): (string | undefined)[] {
  let databasePassword: string | undefined;
  try {
    databasePassword = decodeURIComponent(new URL(config.postgres.databaseUrl).password) || undefined;
  } catch {
    databasePassword = undefined;
  }
  return [
    config.admin.apiKey,
    config.redis.token,
    config.clickhouse.password,
    config.rooms.tokenSecret,
    config.monitoring.sessionSecret,
    databasePassword,
  ];
}

export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const config = c.get("services")?.config;
    if (config !== undefined && !remembered.has(config)) {
      rememberSecrets(configSecrets(config));
      remembered.add(config);
    }
    const started = performance.now();
    await next();
    const mode = config?.access.logRequests ?? "all";
    if (mode === "off") return;
    const status = c.res.status;
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    if (mode === "errors" && status < 500 && durationMs < config!.access.logSlowRequestMs) return;
    logRequest({
      level: status >= 500 ? "error" : "info",
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs,
      keyId: c.get("principal")?.keyId,
    });
  };
}
