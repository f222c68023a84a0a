/**
 * L1: the per-isolate tier, an lru-cache bounded by entry count and by bytes
 * (the encoded size of each value), holding DECODED values so a hit is one LRU
 * lookup: no parsing, no copying.
 *
 * `ttlResolution: 0` is required, not a tuning choice: with the default the
 * cache reads its clock once and relies on a timer to refresh it, and workerd
 * does not run that timer after a request ends, so expired entries were served
 * seconds late. The clock is injected (`perf`) so tests can drive it.
 */
import { LRUCache } from "lru-cache";

/** What L1 holds for a key. Timestamps come from the injected clock (ms). */
export interface L1Entry {
  value: unknown;
  /** Set when this is a remembered load failure (negative caching); `value` is then undefined. */
  error?: unknown;
  tags: readonly string[];
  /** Redis tag versions observed before the value was loaded, in `tags` order. */
  versions: readonly number[];
  /** The isolate's invalidation generation when the read that produced this entry started. */
  gen: number;
  storedAt: number;
  freshUntil: number;
  /** LRU TTL ends here: past it the entry is gone; between freshUntil and here it is stale (SWR). */
  staleUntil: number;
  /** Encoded size in bytes (what maxSize counts). */
  size: number;
}

export interface L1Options {
  maxEntries: number;
  maxBytes: number;
  now: () => number;
}

export interface L1Stats {
  hits: number;
  misses: number;
  staleHits: number;
  sets: number;
  evictions: number;
  expirations: number;
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
  hitRatio: number;
}

/** The lru-cache options L1 uses; exported so the benchmark can build a raw cache with the same settings. */
export function lruOptions(options: L1Options): LRUCache.Options<string, L1Entry, unknown> {
  return {
    max: options.maxEntries,
    maxSize: options.maxBytes,
    sizeCalculation: (entry) => entry.size,
    ttlResolution: 0,
    perf: { now: options.now },
    allowStale: false,
    updateAgeOnGet: false,
  };
}

export class L1Tier {
  readonly #lru: LRUCache<string, L1Entry>;
  readonly #options: L1Options;
  #hits = 0;
  #misses = 0;
  #staleHits = 0;
  #sets = 0;
  #evictions = 0;
  #expirations = 0;
  /**
   * The clock reading of the latest lookup. lru-cache must read the clock to
   * decide whether a TTL'd entry has expired (ttlResolution 0 means it never
   * reuses an old reading), so after get() returns an entry this is "now":
   * the hit path decides fresh vs stale without a second clock read.
   */
  lastNow = 0;

  constructor(options: L1Options) {
    this.#options = options;
    const now = options.now;
    this.#lru = new LRUCache<string, L1Entry>({
      ...lruOptions(options),
      perf: { now: () => (this.lastNow = now()) },
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.#evictions++;
        else if (reason === "expire") this.#expirations++;
      },
    });
  }

  /** The live entry for key (not yet past staleUntil), or undefined. Counts nothing: see hit()/miss(). */
  get(key: string): L1Entry | undefined {
    return this.#lru.get(key);
  }

  hit(stale: boolean): void {
    if (stale) this.#staleHits++;
    else this.#hits++;
  }

  miss(): void {
    this.#misses++;
  }

  /** Stores entry until its staleUntil. False (and nothing stored) when it is too big or already expired. */
  set(key: string, entry: L1Entry): boolean {
    const ttl = Math.ceil(entry.staleUntil - this.#options.now());
    if (ttl <= 0 || entry.size > this.#options.maxBytes) return false;
    this.#lru.set(key, entry, { ttl });
    this.#sets++;
    return true;
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  stats(): L1Stats {
    const served = this.#hits + this.#staleHits;
    const lookups = served + this.#misses;
    return {
      hits: this.#hits,
      misses: this.#misses,
      staleHits: this.#staleHits,
      sets: this.#sets,
      evictions: this.#evictions,
      expirations: this.#expirations,
      entries: this.#lru.size,
      bytes: this.#lru.calculatedSize,
      maxEntries: this.#options.maxEntries,
      maxBytes: this.#options.maxBytes,
      hitRatio: lookups === 0 ? 0 : served / lookups,
    };
  }
}
