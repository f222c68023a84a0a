/**
 * The L2 half of a miss: look the key up in Redis together with its tags'
 * versions, accept the stored envelope only if no write superseded it (tag
 * versions and the local generation), and guard against stampedes across
 * isolates: the first to SET NX the load lock loads, the others poll L2 for a
 * bounded time. Apart from ./tiered.ts so its read path stays L1 -> L2 -> load.
 */
import { deepFreeze, utf8Length } from "./codec.ts";
import { decodeEnvelope, type Envelope } from "./envelope.ts";
import type { L1Entry } from "./l1.ts";
import type { L2Lookup, L2Tier } from "./l2.ts";
import type { TagTable } from "./tags.ts";
import type { CachedRead, CacheStatsSnapshot, TieredCacheOptions } from "./types.ts";

export type LockCounts = CacheStatsSnapshot["lock"];

export interface L2ReaderDeps {
  tags: TagTable;
  options: Pick<TieredCacheOptions, "lockTtlMs" | "lockWaitMs" | "lockPollMs">;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Stores a value accepted from L2 in L1, so the next read of the key stays in the isolate. */
  fillL1: (key: string, entry: L1Entry) => void;
}

export class L2Reader {
  readonly lock: LockCounts = { acquired: 0, recheckHit: 0, waitedHit: 0, takenOver: 0, waitedTimeout: 0 };
  readonly #deps: L2ReaderDeps;

  constructor(deps: L2ReaderDeps) {
    this.#deps = deps;
  }

  /**
   * One pipelined round trip: the value and its tags' versions. Fills L1 on a usable hit.
   * undefined: a miss; null: Redis did not answer (no point trying the lock).
   */
  async lookup(l2: L2Tier, key: string, tags: readonly string[], gen: number): Promise<CachedRead<unknown> | undefined | null> {
    const reply = await l2.lookup(key, tags);
    if (reply === undefined) return null;
    const served = this.#use(l2, key, tags, reply, gen);
    if (served !== undefined) l2.hits++;
    else l2.misses++;
    return served;
  }

  /**
   * Cross-isolate stampede guard: the lock winner loads; losers wait for its value. The lock and a
   * look at L2 go in one round trip, in that order, so a winner whose rival stored the value and
   * released the lock just before finds it and does not load. Losers poll the same way: they
   * either find the value or take the lock themselves the moment the holder let it go without
   * storing (its load failed or was not cacheable) or its lock expired (it died), so a slow load
   * is never run twice and a failed one holds nobody up. The wait ends after lockWaitMs.
   */
  async lockOrWait(l2: L2Tier, key: string, tags: readonly string[], gen: number): Promise<CachedRead<unknown> | undefined> {
    const { lockTtlMs, lockWaitMs, lockPollMs } = this.#deps.options;
    const token = randomToken();
    const polls = Math.max(1, Math.ceil(lockWaitMs / lockPollMs));
    for (let poll = 0; poll <= polls; poll++) {
      if (poll > 0) await this.#deps.sleep(lockPollMs);
      const taken = await l2.lockAndLookup(key, token, lockTtlMs, tags);
      if (taken === undefined) return undefined;
      const found = this.#use(l2, key, tags, taken, gen);
      if (found !== undefined) {
        if (poll === 0) this.lock.recheckHit++;
        else this.lock.waitedHit++;
        l2.hits++;
        if (taken.locked) void l2.unlock(key);
        return found;
      }
      if (taken.locked) {
        if (poll === 0) this.lock.acquired++;
        else this.lock.takenOver++;
        return undefined;
      }
    }
    this.lock.waitedTimeout++;
    return undefined;
  }

  /** Records the versions the reply carried and accepts its value if it is still current. */
  #use(l2: L2Tier, key: string, tags: readonly string[], reply: L2Lookup, gen: number): CachedRead<unknown> | undefined {
    this.#deps.tags.observe(tags, reply.versions, this.#deps.now(), reply.missing);
    return reply.value === null ? undefined : this.#accept(l2, key, tags, reply.value, gen);
  }

  #accept(l2: L2Tier, key: string, tags: readonly string[], text: string, gen: number): CachedRead<unknown> | undefined {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(text);
    } catch {
      l2.errors++;
      return undefined;
    }
    const now = this.#deps.now();
    if (!sameTags(envelope.tags, tags) || now >= envelope.freshUntil) return undefined;
    // `gen` is the generation when this read started: a local write during the lookup rejects the value.
    if (!this.#deps.tags.isCurrent(envelope.tags, envelope.versions, gen)) return undefined;
    const value = deepFreeze(envelope.value);
    this.#deps.fillL1(key, { ...envelope, value, gen, size: utf8Length(text) });
    return { value, tier: "l2", loadMs: 0 };
  }
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function randomToken(): string {
  return crypto.randomUUID();
}
