/**
 * The Upstash Redis REST client built from config, once per config object.
 * `@upstash/redis/cloudflare` only needs `fetch`, so the same client runs in a
 * Worker, a room and Node.
 */
import { Redis } from "@upstash/redis/cloudflare";
import { NotConfiguredError, type AppConfig } from "../config.ts";

export type RedisSettings = AppConfig["redis"];

const clients = new WeakMap<RedisSettings, Redis>();
/** Clients that return replies as sent (no JSON parsing): the cache stores its own encoding. */
const rawClients = new WeakMap<RedisSettings, Redis>();

/** Network-error retries back off briefly: the cache fails open rather than waits. */
const RETRY_BACKOFF_MS = 50;

/**
 * The Redis client for these settings. Throws NotConfiguredError when no URL is set.
 *
 * Every request gets a fresh `AbortSignal.timeout`: the client rethrows an abort
 * only when `signal` is a function; a fixed signal would turn a timeout into a
 * successful "Aborted" result.
 *
 * @example
 * await upstashRedis(config.redis).ping(); // "PONG"
 * await upstashRedis(config.redis, { raw: true }).get("k"); // the stored string, unparsed
 */
export function upstashRedis(settings: RedisSettings, { raw = false }: { raw?: boolean } = {}): Redis {
  const cache = raw ? rawClients : clients;
  const existing = cache.get(settings);
  if (existing !== undefined) return existing;
  if (settings.url === undefined || settings.token === undefined) throw new NotConfiguredError();
  const timeoutMs = settings.requestTimeoutMs;
  const redis = new Redis({
    url: settings.url,
    token: settings.token,
    signal: () => AbortSignal.timeout(timeoutMs),
    retry: settings.retries === 0 ? false : { retries: settings.retries, backoff: () => RETRY_BACKOFF_MS },
    enableTelemetry: false,
    latencyLogging: false,
    automaticDeserialization: !raw,
    // One client serves every request in an isolate. Auto-pipelining would batch commands
    // from different requests into one fetch, and workerd forbids one request touching
    // another's I/O ("Cannot perform I/O on behalf of a different request"). The cache
    // pipelines explicitly, per request, where it matters.
    enableAutoPipelining: false,
  });
  cache.set(settings, redis);
  return redis;
}
