/**
 * L2: the Redis tier as the cache sees it. Names keys under a prefix, bounds
 * every call with a timeout, counts errors, and routes every call through the
 * circuit breaker: a failed or skipped call returns `undefined`, never throws,
 * because a cache tier failing must not fail the read.
 */
import type { CircuitBreaker } from "./breaker.ts";
import type { CacheLogger, CacheStore, StoreLookup } from "./types.ts";

/** A lookup as the cache uses it: every tag has a version (forgotten ones re-seeded). */
export interface L2Lookup {
  /** Null also when a tag had been forgotten: a value whose tags Redis lost cannot be vouched for. */
  value: string | null;
  versions: number[];
  /** Tags Redis no longer held (re-seeded above every earlier version); undefined when none. */
  missing: string[] | undefined;
}

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
  tagTtlSeconds: number;
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
    return !this.#options.breaker.isOpen();
  }

  /** The stored envelope text (or null) and the current tag versions, in one round trip (two if Redis forgot a tag). */
  async lookup(key: string, tags: readonly string[]): Promise<L2Lookup | undefined> {
    const reply = await this.#call("lookup", () => this.#store.lookup(this.valueKey(key), tags.map((t) => this.tagKey(t))));
    return reply === undefined ? undefined : this.#resolve(tags, reply);
  }

  /**
   * Takes the key's load lock and, in the same round trip after it, looks the key up: a value
   * stored by a loader that released the lock before we took it is found here, not loaded twice.
   */
  async lockAndLookup(key: string, token: string, ttlMs: number, tags: readonly string[]): Promise<(L2Lookup & { locked: boolean }) | undefined> {
    const reply = await this.#call("lock", () =>
      this.#store.lockAndLookup(this.lockKey(key), token, ttlMs, this.valueKey(key), tags.map((t) => this.tagKey(t))),
    );
    if (reply === undefined) return undefined;
    const resolved = await this.#resolve(tags, reply);
    return resolved === undefined ? undefined : { ...resolved, locked: reply.locked };
  }

  async versions(tags: readonly string[]): Promise<L2Lookup | undefined> {
    const versions = await this.#call("versions", () => this.#store.versions(tags.map((t) => this.tagKey(t))));
    return versions === undefined ? undefined : this.#resolve(tags, { value: null, versions });
  }

  /** Re-seeds tags Redis no longer holds (one more round trip, only then). */
  async #resolve(tags: readonly string[], reply: StoreLookup): Promise<L2Lookup | undefined> {
    let missing: string[] | undefined;
    for (let i = 0; i < tags.length; i++) if (reply.versions[i] === null || reply.versions[i] === undefined) (missing ??= []).push(tags[i]!);
    if (missing === undefined) return { value: reply.value, versions: reply.versions as number[], missing };
    const lost = missing;
    const seeded = await this.#call("seed", () => this.#store.seed(lost.map((t) => this.tagKey(t)), this.#options.tagTtlSeconds));
    if (seeded === undefined) return undefined;
    const versions = reply.versions.slice() as number[];
    let j = 0;
    for (let i = 0; i < tags.length; i++) if (reply.versions[i] === null || reply.versions[i] === undefined) versions[i] = seeded[j++] ?? 0;
    return { value: null, versions, missing };
  }

  /** Stores the value and releases the key's load lock, in one round trip. */
  async write(key: string, text: string, ttlMs: number): Promise<boolean> {
    const done = await this.#call("set", () =>
      this.#store.set(this.valueKey(key), text, ttlMs, this.lockKey(key)).then(() => true),
    );
    if (done === true) this.sets++;
    return done === true;
  }

  /** Releases the load lock early (the load failed or is not cacheable) so waiters stop waiting. */
  async unlock(key: string): Promise<void> {
    await this.#call("unlock", () => this.#store.del(this.lockKey(key)));
  }

  bump(tags: readonly string[]): Promise<number[] | undefined> {
    return this.#call("bump", () => this.#store.bump(tags.map((t) => this.tagKey(t)), this.#options.tagTtlSeconds));
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
