/**
 * The public contract of the two-tier cache. Callers (the query optimizer, the
 * HTTP API, the benchmark) code against these types only; createTieredCache in
 * ./index.ts builds the implementation from injected I/O (a Redis-like store,
 * a clock, a logger) so the same code runs in a Worker, in Node and in tests.
 */

/** Which tier answered a read. `stale`: an L1 value past its TTL but within SWR. `bypass`: not cacheable. */
export type CacheTier = "l1" | "l2" | "miss" | "stale" | "bypass";

/** How long a value stays fresh, and how long it may be served stale while it refreshes. */
export interface ReadPolicy {
  /** Fresh lifetime. <= 0 means "do not cache" (tier `bypass`). */
  ttlSeconds: number;
  /** Stale-while-revalidate window after the TTL; defaults to the cache's configured swrSeconds. */
  swrSeconds?: number;
  /** When > 0, a failed load is remembered in L1 for this long and rethrown; 0/undefined: failures are not cached. */
  negativeTtlSeconds?: number;
}

/** Tag -> version: what a write produced, or (from a client's consistency token) what a read must see. */
export type TagVersions = ReadonlyMap<string, number>;

/** The request's execution context: background refreshes are handed to waitUntil when present. */
export interface ReadContext {
  waitUntil?(promise: Promise<unknown>): void;
  /**
   * The client's consistency token (read-your-writes): a read whose tags appear here is served
   * only from a value loaded at or after these versions. Untrusted input: versions this isolate
   * cannot confirm in Redis make the read go to the source, never move the isolate's own view.
   */
  consistency?: TagVersions;
  /** Told the versions each write of this request produced (they become the response's token). */
  wrote?(versions: TagVersions): void;
}

/**
 * The tags a read's value depends on, or a function giving them. The function is called only
 * when the read needs them: a miss, a token check. An L1 hit checks the tags its entry was stored
 * with (the same, for one key), so a caller whose tags take work to derive pays for it on misses only.
 */
export type ReadTags = readonly string[] | (() => readonly string[]);

/** A read's value and where it came from. */
export interface CachedRead<T> {
  value: T;
  tier: CacheTier;
  /** Milliseconds spent loading from the source on this call; 0 when a cache tier answered. */
  loadMs: number;
}

export interface TieredCache {
  /**
   * The cached value for `key`, loading it with `load` on a miss.
   * key: a stable string (the optimizer builds it from fingerprint + params).
   * tags: what the value depends on (tables, rows); invalidate(tags) makes it unservable. They
   * must be the same on every call for one key: a hit checks those its entry was stored with.
   * A load error is rethrown (and not cached unless policy.negativeTtlSeconds > 0).
   */
  read<T>(
    key: string,
    tags: ReadTags,
    load: () => Promise<T>,
    policy: ReadPolicy,
    ctx?: ReadContext,
  ): Promise<CachedRead<T>>;
  /**
   * Bumps the tag versions after a write. Resolves once the local bump is done
   * (effective at once in this isolate) and the Redis bump was attempted (bounded by the
   * timeout), with the versions Redis gave the tags (empty when Redis did not answer).
   */
  invalidate(tags: readonly string[]): Promise<TagVersions>;
  stats(): CacheStatsSnapshot;
}

export interface TierStats {
  hits: number;
  misses: number;
  /** Served past TTL within the SWR window (L1 only: L2 serves fresh values only, so 0 there). */
  staleHits: number;
  sets: number;
  evictions: number;
  errors: number;
  /** hits (+ staleHits) / lookups; 0 before any lookup. */
  hitRatio: number;
}

export type BreakerState = "closed" | "open" | "half-open";

export interface CacheStatsSnapshot {
  l1: TierStats & { entries: number; bytes: number; maxEntries: number; maxBytes: number };
  /** errors include timeouts; `timeouts` counts those alone. */
  l2: TierStats & { timeouts: number; enabled: boolean };
  /** Source loads started, failed, and reads that joined an in-flight load (single-flight). */
  loads: number;
  loadErrors: number;
  coalesced: number;
  /** Joins of another request's load that gave up waiting and loaded themselves. */
  joinTimeouts: number;
  /** Values larger than maxValueBytes: served, not cached. */
  oversized: number;
  /** Values that could not be encoded (e.g. cycles): served, not cached. */
  uncacheable: number;
  bypass: number;
  /** Background SWR refreshes started. */
  refreshes: number;
  /**
   * Cross-isolate lock: won (and loaded); found the value on the look at L2 that goes with
   * taking the lock (another isolate stored it meanwhile); lost and then found the winner's
   * value; lost, then took the lock the winner let go without storing (its load failed) or
   * let expire, and loaded; lost and loaded anyway after lockWaitMs.
   */
  lock: { acquired: number; recheckHit: number; waitedHit: number; takenOver: number; waitedTimeout: number };
  /**
   * Tag version refreshes against Redis (`checks`), local invalidations, tags Redis had
   * forgotten while this isolate knew a version (`resetsDetected`: values stamped before are
   * dropped), reads whose consistency token was ahead of this isolate (`tokenWaits`: one
   * refresh from Redis) and those still ahead after it (`tokenBypasses`: served from the source).
   */
  tags: {
    known: number;
    checks: number;
    invalidations: number;
    pendingReplay: number;
    resetsDetected: number;
    tokenWaits: number;
    tokenBypasses: number;
  };
  /** L1 entries not served because their tags could not be verified within the bound (Redis unreachable). */
  unverified: number;
  breaker: { state: BreakerState; consecutiveFailures: number; opens: number };
}

/**
 * The few Redis operations the cache needs, each one round trip. The real
 * implementation (./upstash-store.ts) wraps @upstash/redis pipelines; tests use
 * an in-memory fake. Values are opaque strings (./codec.ts encodes them).
 * Implementations may throw; the cache times every call out and counts errors.
 */
export interface CacheStore {
  /** GET key and GET each tag key, in one round trip. A missing tag key reads as null (Redis forgot it). */
  lookup(key: string, tagKeys: readonly string[]): Promise<StoreLookup>;
  /** GET each tag key (missing: null). */
  versions(tagKeys: readonly string[]): Promise<(number | null)[]>;
  /**
   * SET lockKey token NX PX ttlMs, then GET key and the tag keys, in one round trip and in that
   * order: a value stored (and its lock released) before we took the lock is seen by the GET.
   */
  lockAndLookup(lockKey: string, token: string, ttlMs: number, key: string, tagKeys: readonly string[]): Promise<StoreLookup & { locked: boolean }>;
  /** SET key value PX ttlMs, and DEL unlockKey (a load lock) in the same round trip when given. */
  set(key: string, value: string, ttlMs: number, unlockKey?: string): Promise<void>;
  /** DEL key. */
  del(key: string): Promise<void>;
  /**
   * Bumps each tag key, in one round trip; the new values in order. A missing key first
   * takes the Redis server's clock in microseconds, so versions never go backwards when
   * Redis forgets (restart without persistence, eviction): a new bump is always above
   * every version handed out before. Each key lives ttlSeconds after its last bump.
   */
  bump(keys: readonly string[], ttlSeconds: number): Promise<number[]>;
  /** Gives each missing tag key the server clock in microseconds (as bump does), then GETs them all. */
  seed(keys: readonly string[], ttlSeconds: number): Promise<number[]>;
}

export interface StoreLookup {
  value: string | null;
  versions: (number | null)[];
}

export interface CacheLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Tunables; shared/config.ts `cache` carries them (see cacheOptionsFromConfig in ./index.ts). */
export interface TieredCacheOptions {
  maxEntries: number;
  maxBytes: number;
  /** Encoded values above this are served but not cached. */
  maxValueBytes: number;
  /** Default SWR window when the policy gives none. */
  swrSeconds: number;
  /** Tag versions are re-read from Redis at most this often (bounded cross-isolate staleness). */
  tagCheckIntervalMs: number;
  /**
   * How long a tag key lives in Redis after its last bump. A tag Redis no longer holds is
   * re-seeded from its clock, which drops every value stamped before: safe, one miss each.
   */
  tagTtlSeconds: number;
  /** Cross-isolate load lock lifetime, and how long losers poll L2 for the winner's value. */
  lockTtlMs: number;
  lockWaitMs: number;
  lockPollMs: number;
  /**
   * How long a request waits on another request's in-flight load for the same key before
   * loading itself. Only a safety net: the leader's load is bounded by the statement
   * timeout, but if the leader's request is cancelled its promise may never settle.
   */
  joinWaitMs: number;
  /** Bound on each Redis call, on top of the client's own timeout. */
  redisTimeoutMs: number;
  /** Consecutive Redis failures that open the breaker, and how long it stays open before a probe. */
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
  /** Prefix for every Redis key (tests use a unique one). */
  keyPrefix: string;
}

export interface TieredCacheDeps {
  /** Undefined: L1 only (Redis not configured). */
  store?: CacheStore;
  /** Milliseconds; drives TTLs, the tag check interval and the breaker. Default Date.now. */
  now?: () => number;
  /** Waits between lock polls; default setTimeout. Tests with a fake clock pass one that advances it. */
  sleep?: (ms: number) => Promise<void>;
  logger?: CacheLogger;
  options?: Partial<TieredCacheOptions>;
}
