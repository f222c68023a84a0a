/**
 * The tiered read path: L1 (isolate LRU) -> L2 (Redis) -> the loader, with
 * stale-while-revalidate, single-flight per key, a cross-isolate load lock,
 * tag invalidation with a generation check, and a circuit breaker that turns
 * Redis trouble into "L1 + database only" instead of errors. The L2 lookup
 * and the load lock live in ./l2-read.ts; this file decides when to use them.
 */
import { CircuitBreaker } from "./breaker.ts";
import { deepFreeze, utf8Length } from "./codec.ts";
import { DEFAULT_OPTIONS, defaultSleep } from "./defaults.ts";
import { encodeEnvelope, type Envelope } from "./envelope.ts";
import { joinBounded } from "./join-bounded.ts";
import { L1Tier, type L1Entry } from "./l1.ts";
import { L2Tier } from "./l2.ts";
import { L2Reader } from "./l2-read.ts";
import { snapshot, type CacheCounts } from "./stats.ts";
import { TagSync } from "./tag-sync.ts";
import { TagTable, type TagState } from "./tags.ts";
import type {
  CachedRead,
  CacheStatsSnapshot,
  ReadContext,
  ReadPolicy,
  ReadTags,
  TagVersions,
  TieredCache,
  TieredCacheDeps,
  TieredCacheOptions,
} from "./types.ts";

/** L1 entries also keep the objects handed out on hits, so a hit allocates nothing. */
interface Entry extends L1Entry {
  /** The tag states, held so a hit needs no lookup by tag (see TagTable.entryCurrent). */
  states: readonly TagState[];
  fresh: CachedRead<unknown>;
  stale: CachedRead<unknown>;
}

interface Flight {
  gen: number;
  /** The tag versions this isolate knew when the load started: a token read joins only a load at least as new. */
  versions: readonly number[];
  promise: Promise<CachedRead<unknown>>;
}

// Re-exported: ./index.ts (and anything written against the old layout) imports it from here.
export { DEFAULT_OPTIONS };

export class Tiered implements TieredCache {
  readonly #options: TieredCacheOptions;
  readonly #now: () => number;
  readonly #l1: L1Tier;
  readonly #l2: L2Tier | undefined;
  readonly #l2Reader: L2Reader;
  readonly #breaker: CircuitBreaker;
  readonly #tags: TagTable;
  readonly #inflight = new Map<string, Flight>();
  readonly #sync: TagSync;
  #counts: CacheCounts = { loads: 0, loadErrors: 0, coalesced: 0, joinTimeouts: 0, oversized: 0, uncacheable: 0, bypass: 0, refreshes: 0, tagChecks: 0, invalidations: 0, tokenWaits: 0, tokenBypasses: 0, unverified: 0 };

  constructor(deps: TieredCacheDeps) {
    this.#options = { ...DEFAULT_OPTIONS, ...deps.options };
    this.#now = deps.now ?? Date.now;
    const sleep = deps.sleep ?? defaultSleep;
    const o = this.#options;
    this.#l1 = new L1Tier({ maxEntries: o.maxEntries, maxBytes: o.maxBytes, now: this.#now });
    this.#breaker = new CircuitBreaker(o.breakerFailureThreshold, o.breakerCooldownMs, this.#now);
    // Row tags make the set of tags open-ended: bounded at a multiple of what L1 can hold.
    this.#tags = new TagTable(o.tagCheckIntervalMs, Math.max(10_000, o.maxEntries * 16));
    this.#sync = new TagSync(this.#tags, () => this.#l2, this.#counts, this.#now);
    this.#l2 =
      deps.store === undefined
        ? undefined
        : new L2Tier(deps.store, {
            keyPrefix: o.keyPrefix,
            timeoutMs: o.redisTimeoutMs,
            tagTtlSeconds: o.tagTtlSeconds,
            breaker: this.#breaker,
            logger: deps.logger,
            onSuccess: () => this.#sync.replayIfNeeded(),
          });
    this.#l2Reader = new L2Reader({
      tags: this.#tags,
      options: o,
      now: this.#now,
      sleep,
      fillL1: (key, entry) => this.#storeL1(key, entry),
    });
  }

  async read<T>(
    key: string,
    tags: ReadTags,
    load: () => Promise<T>,
    policy: ReadPolicy,
    ctx?: ReadContext,
  ): Promise<CachedRead<T>> {
    if (!(policy.ttlSeconds > 0)) return this.#bypass(load);
    const floor = ctx?.consistency;
    // Resolved only when needed: an L1 hit without a token checks its entry's own tag states.
    let list: readonly string[] | undefined;
    if (floor !== undefined) {
      list = tagList(tags);
      if (!(await this.#sync.catchUp(list, floor))) {
        this.#counts.tokenBypasses++;
        return this.#bypass(load);
      }
    }
    const entry = this.#l1.get(key) as Entry | undefined;
    if (entry !== undefined) {
      const served = await this.#serveL1(key, entry, load, policy, ctx);
      if (served !== undefined) return served as CachedRead<T>;
    }
    this.#l1.miss();
    return this.#fillOnce(key, list ?? tagList(tags), load, policy, ctx) as Promise<CachedRead<T>>;
  }

  async #bypass<T>(load: () => Promise<T>): Promise<CachedRead<T>> {
    this.#counts.bypass++;
    const start = this.#now();
    const value = await load();
    return { value, tier: "bypass", loadMs: this.#now() - start };
  }

  /** The L1 answer, or undefined when the entry may no longer be served (a write superseded it). */
  async #serveL1(
    key: string,
    entry: Entry,
    load: () => Promise<unknown>,
    policy: ReadPolicy,
    ctx: ReadContext | undefined,
  ): Promise<CachedRead<unknown> | undefined> {
    // The clock reading lru-cache just took to check this entry's TTL (see L1Tier.lastNow).
    const now = this.#l1.lastNow;
    if (this.#l2 !== undefined && this.#tags.entryDue(entry.states, now)) {
      // Unverifiable (Redis unreachable): served only while younger than the bound, so a write
      // another isolate made meanwhile is never hidden for longer than with Redis up.
      const verified = this.#l2.available() && (await this.#sync.check(this.#tags.dueTags(entry.states, now)));
      if (!verified && now - entry.storedAt >= this.#options.tagCheckIntervalMs) {
        this.#counts.unverified++;
        this.#l1.delete(key);
        return undefined;
      }
    }
    if (!this.#tags.entryCurrent(entry.states, entry.versions, entry.gen)) {
      this.#l1.delete(key);
      return undefined;
    }
    if (entry.error !== undefined) {
      this.#l1.hit(false);
      throw entry.error;
    }
    if (now < entry.freshUntil) {
      this.#l1.hit(false);
      return entry.fresh;
    }
    // lru-cache keeps an entry through the exact millisecond its TTL ends; we do not.
    if (now >= entry.staleUntil) return undefined;
    this.#l1.hit(true);
    this.#refresh(key, entry.tags, load, policy, ctx);
    return entry.stale;
  }

  /** SWR: one background refresh per key; concurrent misses join it. */
  #refresh(key: string, tags: readonly string[], load: () => Promise<unknown>, policy: ReadPolicy, ctx: ReadContext | undefined): void {
    const flight = this.#inflight.get(key);
    if (flight !== undefined && this.#tags.unchangedSince(tags, flight.gen)) return;
    this.#counts.refreshes++;
    const promise = this.#fillOnce(key, tags, load, policy, ctx).catch(() => undefined);
    ctx?.waitUntil?.(promise);
  }

  /** Single-flight: joins a load for key that started after the last write to its tags, or leads a new one. */
  #fillOnce(
    key: string,
    tags: readonly string[],
    load: () => Promise<unknown>,
    policy: ReadPolicy,
    ctx: ReadContext | undefined,
  ): Promise<CachedRead<unknown>> {
    const flight = this.#inflight.get(key);
    if (flight !== undefined && this.#tags.unchangedSince(tags, flight.gen) && atLeast(tags, flight.versions, ctx?.consistency)) {
      this.#counts.coalesced++;
      return joinBounded(flight.promise, this.#options.joinWaitMs, () => {
        this.#counts.joinTimeouts++;
        return this.#fill(key, tags, load, policy, ctx, this.#tags.gen);
      });
    }
    const gen = this.#tags.gen;
    const versions = this.#tags.versionsOf(tags);
    const promise = this.#fill(key, tags, load, policy, ctx, gen);
    const mine: Flight = { gen, versions, promise };
    this.#inflight.set(key, mine);
    const clear = () => {
      if (this.#inflight.get(key) === mine) this.#inflight.delete(key);
    };
    promise.then(clear, clear);
    return promise;
  }

  async #fill(
    key: string,
    tags: readonly string[],
    load: () => Promise<unknown>,
    policy: ReadPolicy,
    ctx: ReadContext | undefined,
    gen: number,
  ): Promise<CachedRead<unknown>> {
    // L2 may hold what a local write replaced until Redis has seen that write: skip it meanwhile.
    const l2 = this.#l2 !== undefined && !this.#tags.unconfirmed(tags) ? this.#l2 : undefined;
    if (l2 !== undefined) {
      const found = await this.#l2Reader.lookup(l2, key, tags, gen);
      if (found !== undefined && found !== null) return found;
      if (found === undefined && this.#options.lockWaitMs > 0) {
        const waited = await this.#l2Reader.lockOrWait(l2, key, tags, gen);
        if (waited !== undefined) return waited;
      }
    }
    return this.#load(key, tags, load, policy, ctx, gen, l2);
  }

  async #load(
    key: string,
    tags: readonly string[],
    load: () => Promise<unknown>,
    policy: ReadPolicy,
    ctx: ReadContext | undefined,
    gen: number,
    l2: L2Tier | undefined,
  ): Promise<CachedRead<unknown>> {
    // Stamped BEFORE the load: a write that lands during it makes this value outdated, not current.
    const versions = this.#tags.versionsOf(tags);
    this.#counts.loads++;
    const start = this.#now();
    let value: unknown;
    try {
      value = await load();
    } catch (error) {
      this.#counts.loadErrors++;
      this.#rememberFailure(key, tags, versions, gen, error, policy);
      if (l2 !== undefined) void l2.unlock(key);
      throw error;
    }
    const now = this.#now();
    const loadMs = now - start;
    const freshUntil = now + policy.ttlSeconds * 1000;
    const staleUntil = freshUntil + (policy.swrSeconds ?? this.#options.swrSeconds) * 1000;
    const envelope: Envelope = { tags, versions, storedAt: now, freshUntil, staleUntil, value };
    let text: string;
    try {
      text = encodeEnvelope(envelope);
    } catch {
      // Not serialisable (a cycle): served, never cached.
      this.#counts.uncacheable++;
      if (l2 !== undefined) void l2.unlock(key);
      return { value, tier: "miss", loadMs };
    }
    const size = utf8Length(text);
    if (size > this.#options.maxValueBytes) {
      this.#counts.oversized++;
      if (l2 !== undefined) void l2.unlock(key);
      return { value, tier: "miss", loadMs };
    }
    deepFreeze(value);
    if (!this.#tags.isCurrent(tags, versions, gen)) return { value, tier: "miss", loadMs };
    this.#storeL1(key, { ...envelope, gen, size });
    if (l2 !== undefined && !this.#tags.unconfirmed(tags)) {
      const write = l2.write(key, text, freshUntil - now);
      if (ctx?.waitUntil !== undefined) ctx.waitUntil(write);
      else await write;
    }
    return { value, tier: "miss", loadMs };
  }

  #rememberFailure(key: string, tags: readonly string[], versions: number[], gen: number, error: unknown, policy: ReadPolicy): void {
    const seconds = policy.negativeTtlSeconds ?? 0;
    if (!(seconds > 0)) return;
    const now = this.#now();
    const until = now + seconds * 1000;
    // An L1-only entry: errors do not serialise faithfully, and they are this isolate's view of the source.
    // Its size is nominal: the error object is small and not encoded.
    this.#storeL1(key, { tags, versions, gen, storedAt: now, freshUntil: until, staleUntil: until, size: 256, value: undefined, error });
  }

  #storeL1(key: string, entry: L1Entry): void {
    const full: Entry = {
      ...entry,
      states: this.#tags.statesOf(entry.tags),
      fresh: Object.freeze({ value: entry.value, tier: "l1", loadMs: 0 }),
      stale: Object.freeze({ value: entry.value, tier: "stale", loadMs: 0 }),
    };
    this.#l1.set(key, full);
  }

  invalidate(tags: readonly string[]): Promise<TagVersions> {
    return this.#sync.invalidate(tags);
  }

  stats(): CacheStatsSnapshot {
    return snapshot({
      l1: this.#l1.stats(),
      l2: this.#l2,
      counts: this.#counts,
      lock: this.#l2Reader.lock,
      tags: { known: this.#tags.size, pendingReplay: this.#tags.pendingCount(), resetsDetected: this.#tags.resetsDetected },
      breaker: this.#breaker.snapshot(),
    });
  }
}

function tagList(tags: ReadTags): readonly string[] {
  return typeof tags === "function" ? tags() : tags;
}

/** Whether versions stamped for `tags` meet the client's token (always, without one). */
function atLeast(tags: readonly string[], versions: readonly number[], floor: TagVersions | undefined): boolean {
  if (floor === undefined) return true;
  for (let i = 0; i < tags.length; i++) {
    const needed = floor.get(tags[i]!);
    if (needed !== undefined && versions[i]! < needed) return false;
  }
  return true;
}
