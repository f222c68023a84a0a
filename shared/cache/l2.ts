/**
 * L2: the Redis tier as the cache sees it. Names keys under a prefix, bounds
 * every call with a timeout, counts errors, and routes every call through the
 * circuit breaker: a failed or skipped call returns `undefined`, never throws,
 * because a cache tier failing must not fail the read.
 */
import type { CircuitBreaker } from "./breaker.ts";
import type { CacheLogger, CacheStore } from "./types.ts";

/** Raised (internally) when a Redis call outlives the cache's bound. */
export class CacheTimeoutError extends Error {
  readonly code = "cache_timeout";
  constructor(operation: string, ms: number) {
    super(`redis ${operation} timed out after ${ms} ms`);
    this.name = "CacheTimeoutError";
  }
}

export interface L2Options {
  keyPrefix: string;
  timeoutMs: number;
  breaker: CircuitBreaker;
  logger?: CacheLogger;
  /** Called after every successful call (the cache replays writes Redis missed). */
  onSuccess: () => void;
}

export class L2Tier {
  hits = 0;
  misses = 0;
  staleHits = 0;
  sets = 0;
  errors = 0;
  timeouts = 0;

  readonly #store: CacheStore;
  readonly #options: L2Options;

  constructor(store: CacheStore, options: L2Options) {
    this.#store = store;
    this.#options = options;
  }

  valueKey(key: string): string {
    return `${this.#options.keyPrefix}v:${key}`;
  }

  tagKey(tag: string): string {
    return `${this.#options.keyPrefix}t:${tag}`;
  }

  lockKey(key: string): string {
    return `${this.#options.keyPrefix}l:${key}`;
  }

  /** Whether a call would be attempted now (breaker not open). */
  available(): boolean {
    return this.#options.breaker.snapshot().state !== "open";
  }

  /** The stored envelope text (or null) and the current tag versions, in one round trip. */
  lookup(key: string, tags: readonly string[]): Promise<{ value: string | null; versions: number[] } | undefined> {
    return this.#call("lookup", () => this.#store.lookup(this.valueKey(key), tags.map((t) => this.tagKey(t))));
  }

  versions(tags: readonly string[]): Promise<number[] | undefined> {
    return this.#call("versions", () => this.#store.versions(tags.map((t) => this.tagKey(t))));
  }

  /** Stores the value and releases the key's load lock, in one round trip. */
  async write(key: string, text: string, ttlMs: number): Promise<boolean> {
    const done = await this.#call("set", () =>
      this.#store.set(this.valueKey(key), text, ttlMs, this.lockKey(key)).then(() => true),
    );
    if (done === true) this.sets++;
    return done === true;
  }

  /** True: we hold the load lock; false: someone else does; undefined: Redis unavailable. */
  lock(key: string, token: string, ttlMs: number): Promise<boolean | undefined> {
    return this.#call("lock", () => this.#store.setIfAbsent(this.lockKey(key), token, ttlMs));
  }

  /** Releases the load lock early (the load failed or is not cacheable) so waiters stop waiting. */
  async unlock(key: string): Promise<void> {
    await this.#call("unlock", () => this.#store.del(this.lockKey(key)));
  }

  incr(tags: readonly string[]): Promise<number[] | undefined> {
    return this.#call("incr", () => this.#store.incr(tags.map((t) => this.tagKey(t))));
  }

  async #call<R>(operation: string, run: () => Promise<R>): Promise<R | undefined> {
    const { breaker, timeoutMs, logger, onSuccess } = this.#options;
    if (!breaker.allow()) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const pending = run();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CacheTimeoutError(operation, timeoutMs)), timeoutMs);
      });
      // A call that loses the race may still reject later: keep that from becoming an unhandled rejection.
      pending.catch(() => undefined);
      const result = await Promise.race([pending, timeout]);
      breaker.success();
      onSuccess();
      return result;
    } catch (error) {
      this.errors++;
      if (error instanceof CacheTimeoutError) this.timeouts++;
      breaker.failure();
      logger?.warn("cache redis call failed", { operation, error: error instanceof Error ? error.message : String(error) });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
