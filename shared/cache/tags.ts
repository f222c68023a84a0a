/**
 * The isolate's view of tag versions. Two numbers guard every cached value:
 *
 * - `version`: the tag's counter in Redis (bumped on every write), as last read.
 *   A value carries the versions observed BEFORE it was loaded; if any tag has
 *   moved past that since, the value predates a write and is not served.
 *   Other isolates' writes become visible when the versions are re-read, at
 *   most `tagCheckIntervalMs` apart: that interval bounds cross-isolate staleness.
 * - `localGen`: this isolate's invalidation generation at the tag's last local
 *   bump. A value carries the generation at which its read STARTED, so a read
 *   that began before a local write cannot store (or hand out) its result as
 *   current after it, whatever Redis says or whether Redis is reachable.
 *
 * Versions only grow, also when Redis forgets a tag: a forgotten tag comes back
 * at Redis's clock in microseconds (./tag-scripts.ts), above every version
 * handed out before, so everything stamped earlier stops being served.
 */
import type { L2Lookup } from "./l2.ts";
import type { TagVersions } from "./types.ts";

export interface TagState {
  readonly tag: string;
  /** Set when the table forgot this state (it grew past its bound): whoever holds it must look again. */
  dropped: boolean;
  version: number;
  checkedAt: number;
  localGen: number;
  /** Local bumps whose Redis bump is in flight. */
  inflightBumps: number;
  /** Local bumps whose Redis bump failed or was skipped (Redis down): replayed when Redis answers again. */
  failedBumps: number;
  check: Promise<boolean> | undefined;
}

export class TagTable {
  /** Incremented by every local invalidation. */
  gen = 0;
  /** Sum of failedBumps over all tags: a cheap "anything to replay?" test. */
  failedTotal = 0;
  /** Tags Redis had forgotten while this isolate knew a version for them. */
  resetsDetected = 0;
  readonly #states = new Map<string, TagState>();
  /** New states start at this generation: a value stamped before their tag was forgotten is not current. */
  #floorGen = 0;

  /** maxTags: row tags make the set of tags open-ended; past this many the oldest idle half is forgotten. */
  constructor(
    private readonly checkIntervalMs: number,
    private readonly maxTags = 50_000,
  ) {}

  get size(): number {
    return this.#states.size;
  }

  #state(tag: string): TagState {
    let state = this.#states.get(tag);
    if (state === undefined) {
      if (this.#states.size >= this.maxTags) this.#forgetIdle();
      state = { tag, dropped: false, version: 0, checkedAt: Number.NEGATIVE_INFINITY, localGen: this.#floorGen, inflightBumps: 0, failedBumps: 0, check: undefined };
      this.#states.set(tag, state);
    }
    return state;
  }

  /**
   * Forgets the older half of the states that carry nothing pending. Safe: a forgotten tag comes
   * back with version 0 (re-read from Redis at once) and localGen above every value stamped so far,
   * so values that depend on it are reloaded, never served on a forgotten version.
   */
  #forgetIdle(): void {
    this.#floorGen = ++this.gen;
    let budget = this.#states.size / 2;
    for (const [tag, state] of this.#states) {
      if (budget <= 0) break;
      if (state.inflightBumps > 0 || state.failedBumps > 0 || state.check !== undefined) continue;
      state.dropped = true;
      this.#states.delete(tag);
      budget--;
    }
  }

  /** The states of these tags, for an L1 entry to hold so its hits need no map lookups. */
  statesOf(tags: readonly string[]): TagState[] {
    return tags.map((tag) => this.#state(tag));
  }

  /** Hot path (an L1 hit): whether an entry with these states and stamp may be served. No allocation. */
  entryCurrent(states: readonly TagState[], versions: readonly number[], gen: number): boolean {
    for (let i = 0; i < states.length; i++) {
      const state = states[i]!;
      if (state.dropped || versions[i]! < state.version || gen < state.localGen) return false;
    }
    return true;
  }

  /** Hot path: whether any of these states is due for a re-read. No allocation. */
  entryDue(states: readonly TagState[], now: number): boolean {
    for (let i = 0; i < states.length; i++) if (now - states[i]!.checkedAt >= this.checkIntervalMs) return true;
    return false;
  }

  /** The tags of these states due for a re-read (only asked once entryDue said some are). */
  dueTags(states: readonly TagState[], now: number): string[] {
    const due: string[] = [];
    for (const state of states) if (now - state.checkedAt >= this.checkIntervalMs) due.push(state.tag);
    return due;
  }

  /** The versions to stamp on a value about to be loaded. */
  versionsOf(tags: readonly string[]): number[] {
    return tags.map((tag) => this.#state(tag).version);
  }

  /**
   * Records versions read from Redis. Never moves backwards (a slower reply may carry older numbers).
   * `missing`: tags Redis no longer held (re-seeded above every earlier version).
   */
  observe(tags: readonly string[], versions: readonly number[], now: number, missing?: readonly string[]): void {
    if (missing !== undefined) {
      for (const tag of missing) if ((this.#states.get(tag)?.version ?? 0) > 0) this.resetsDetected++;
    }
    for (let i = 0; i < tags.length; i++) {
      const state = this.#state(tags[i]!);
      state.version = Math.max(state.version, versions[i] ?? 0);
      state.checkedAt = now;
    }
  }

  /** Whether a value stamped (versions, gen) for these tags may still be served. */
  isCurrent(tags: readonly string[], versions: readonly number[], gen: number): boolean {
    for (let i = 0; i < tags.length; i++) {
      const state = this.#states.get(tags[i]!);
      if (state === undefined ? gen < this.#floorGen : versions[i]! < state.version || gen < state.localGen) return false;
    }
    return true;
  }

  /** Whether no local write to these tags happened since generation `gen`. */
  unchangedSince(tags: readonly string[], gen: number): boolean {
    for (const tag of tags) {
      const state = this.#states.get(tag);
      if (gen < (state === undefined ? this.#floorGen : state.localGen)) return false;
    }
    return true;
  }

  /** Tags whose version here is below what `floor` (a client's consistency token) requires; undefined when none. */
  behind(tags: readonly string[], floor: TagVersions): string[] | undefined {
    let behind: string[] | undefined;
    for (const tag of tags) {
      const needed = floor.get(tag);
      if (needed !== undefined && (this.#states.get(tag)?.version ?? 0) < needed) (behind ??= []).push(tag);
    }
    return behind;
  }

  /**
   * Runs one re-read for the due tags, shared with concurrent readers that need the same tags.
   * True when every re-read it waited on answered.
   */
  async check(tags: readonly string[], fetch: (tags: string[]) => Promise<L2Lookup | undefined>, now: () => number): Promise<boolean> {
    const waits: Promise<boolean>[] = [];
    const fresh: string[] = [];
    for (const tag of tags) {
      const pending = this.#state(tag).check;
      if (pending !== undefined) waits.push(pending);
      else fresh.push(tag);
    }
    if (fresh.length > 0) {
      const run = fetch(fresh).then((reply) => {
        if (reply === undefined) return false;
        this.observe(fresh, reply.versions, now(), reply.missing);
        return true;
      });
      const done = run.finally(() => {
        for (const tag of fresh) if (this.#state(tag).check === done) this.#state(tag).check = undefined;
      });
      for (const tag of fresh) this.#state(tag).check = done;
      waits.push(done);
    }
    const answered = await Promise.all(waits);
    return answered.every(Boolean);
  }

  /** A local write: values read before it stop being served here at once. Returns the new generation. */
  bump(tags: readonly string[], remote: boolean): number {
    this.gen++;
    for (const tag of tags) {
      const state = this.#state(tag);
      state.localGen = this.gen;
      if (remote) state.inflightBumps++;
    }
    return this.gen;
  }

  /** The Redis bump came back (versions) or failed (undefined). */
  settle(tags: readonly string[], versions: readonly number[] | undefined, now: number): void {
    for (const tag of tags) {
      const state = this.#state(tag);
      state.inflightBumps = Math.max(0, state.inflightBumps - 1);
      if (versions === undefined) {
        state.failedBumps++;
        this.failedTotal++;
      }
    }
    if (versions !== undefined) this.observe(tags, versions, now);
  }

  /** True while a local write to any of these tags is not (yet) known to Redis: L2 may hold what it replaced. */
  unconfirmed(tags: readonly string[]): boolean {
    for (const tag of tags) {
      const state = this.#states.get(tag);
      if (state !== undefined && (state.inflightBumps > 0 || state.failedBumps > 0)) return true;
    }
    return false;
  }

  /** Tags with failed bumps and their counts, to replay. */
  failed(): Map<string, number> {
    const failed = new Map<string, number>();
    for (const [tag, state] of this.#states) if (state.failedBumps > 0) failed.set(tag, state.failedBumps);
    return failed;
  }

  /** A replay of `replayed` succeeded with these Redis versions. */
  replayed(replayed: ReadonlyMap<string, number>, versions: readonly number[], now: number): void {
    const tags = [...replayed.keys()];
    tags.forEach((tag, i) => {
      const state = this.#state(tag);
      const count = replayed.get(tag) ?? 0;
      state.failedBumps = Math.max(0, state.failedBumps - count);
      this.failedTotal = Math.max(0, this.failedTotal - count);
      state.version = Math.max(state.version, versions[i] ?? 0);
      state.checkedAt = now;
    });
  }

  pendingCount(): number {
    let count = 0;
    for (const state of this.#states.values()) if (state.failedBumps > 0 || state.inflightBumps > 0) count++;
    return count;
  }
}
