/**
 * Keeping the isolate's tag versions in step with Redis: re-reads when due, the
 * catch-up a consistency token asks for, bumps after a write, and the replay of
 * bumps Redis missed while it was unreachable. Apart from ./tiered.ts so the
 * read path there stays L1 -> L2 -> load.
 */
import type { L2Tier } from "./l2.ts";
import type { CacheCounts } from "./stats.ts";
import type { TagTable } from "./tags.ts";
import type { TagVersions } from "./types.ts";

const NO_VERSIONS: TagVersions = new Map();

/**
 * The token version of a tag whose bump Redis did not confirm: no isolate can confirm it, so a
 * read carrying it goes to the source (which has the write) instead of a cache entry that may
 * predate it. A made-up "next" version would not do: another isolate's write may reach it first.
 */
export const UNCONFIRMED_VERSION = Number.MAX_SAFE_INTEGER;

export class TagSync {
  #replaying = false;

  constructor(
    private readonly tags: TagTable,
    /** The Redis tier, when there is one (read late: it is built after this). */
    private readonly l2: () => L2Tier | undefined,
    private readonly counts: CacheCounts,
    private readonly now: () => number,
  ) {}

  /** One re-read of these tags' versions (shared with concurrent readers). True when Redis answered. */
  check(tags: string[]): Promise<boolean> {
    const l2 = this.l2();
    if (l2 === undefined) return Promise.resolve(false);
    this.counts.tagChecks++;
    return this.tags.check(tags, (due) => l2.versions(due), this.now);
  }

  /**
   * Read-your-writes: brings this isolate's versions of the read's tags up to the client's
   * token, with one re-read from Redis when it is behind. False when it still is (Redis
   * unreachable, or a token naming versions Redis never gave): the read then goes to the source.
   */
  async catchUp(tags: readonly string[], floor: TagVersions): Promise<boolean> {
    const behind = this.tags.behind(tags, floor);
    if (behind === undefined) return true;
    this.counts.tokenWaits++;
    if (!this.l2()?.available()) return false;
    await this.check(behind);
    return this.tags.behind(behind, floor) === undefined;
  }

  /**
   * A write: effective here at once, then bumped in Redis. Returns the versions for the client's
   * token: those Redis gave, or UNCONFIRMED_VERSION for each tag when it did not answer.
   */
  async invalidate(tags: readonly string[]): Promise<TagVersions> {
    if (tags.length === 0) return NO_VERSIONS;
    this.counts.invalidations++;
    const l2 = this.l2();
    // With Redis unreachable the bump stays local and is replayed once Redis answers again. Other
    // isolates that cannot reach Redis either serve nothing they could not verify within the check
    // interval; one that can reaches the write only with the replay.
    this.tags.bump(tags, l2 !== undefined);
    if (l2 === undefined) return NO_VERSIONS;
    const versions = await l2.bump(tags);
    this.tags.settle(tags, versions, this.now());
    return new Map(tags.map((tag, i) => [tag, versions === undefined ? UNCONFIRMED_VERSION : (versions[i] ?? 0)]));
  }

  /** Called after every successful Redis call: replays bumps that failed, once at a time. */
  replayIfNeeded(): void {
    if (this.tags.failedTotal > 0 && !this.#replaying) void this.#replay();
  }

  async #replay(): Promise<void> {
    const l2 = this.l2();
    if (l2 === undefined) return;
    this.#replaying = true;
    try {
      const failed = this.tags.failed();
      if (failed.size === 0) return;
      const versions = await l2.bump([...failed.keys()]);
      if (versions !== undefined) this.tags.replayed(failed, versions, this.now());
    } finally {
      this.#replaying = false;
    }
  }
}
