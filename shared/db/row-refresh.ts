/**
 * Refresh after write: the point reads (by primary or unique key) this isolate has cached,
 * remembered by row tag, so that a write bounded to rows re-reads them right after its tags
 * are bumped. Without it the first read of a row after each write is a miss in whichever
 * isolate reads it first; with it the writer's isolate has the new row in L1 and every
 * other isolate finds it in L2 once its tag check sees the bump. On a table with steady
 * single-row writes that is most of the misses left (bench "coherence", hit_ratio_row_tags).
 *
 * Only what a miss or an L2 fill cached here is remembered (an L1 hit pays nothing), and at
 * most `max` reads: the oldest is forgotten first, which costs only a miss later. A refresh
 * is an ordinary read through the cache, so it carries the same staleness guarantees.
 */
import type { ReadOptions } from "./query-types.ts";

export interface PointRead {
  sql: string;
  params: readonly unknown[];
  /** The read's options as the caller gave them (ttl, swr, query class, extra tags). */
  options: ReadOptions;
}

export class RowReadRegistry {
  /** Cache key -> the read and its row tag; Map order is the order remembered (oldest first). */
  readonly #reads = new Map<string, { rowTag: string; read: PointRead }>();
  /** Row tag -> the cache keys of its reads. */
  readonly #byRow = new Map<string, Set<string>>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#reads.size;
  }

  remember(key: string, rowTag: string, read: PointRead): void {
    if (this.#reads.has(key)) return;
    if (this.#reads.size >= this.max) this.#forgetOldest();
    this.#reads.set(key, { rowTag, read });
    let keys = this.#byRow.get(rowTag);
    if (keys === undefined) this.#byRow.set(rowTag, (keys = new Set()));
    keys.add(key);
  }

  /** The reads remembered for any of these tags (tags that are not row tags match nothing). */
  readsFor(tags: readonly string[]): PointRead[] {
    const reads: PointRead[] = [];
    for (const tag of tags) {
      for (const key of this.#byRow.get(tag) ?? []) reads.push(this.#reads.get(key)!.read);
    }
    return reads;
  }

  #forgetOldest(): void {
    const oldest = this.#reads.keys().next();
    if (oldest.done === true) return;
    const { rowTag } = this.#reads.get(oldest.value)!;
    this.#reads.delete(oldest.value);
    const keys = this.#byRow.get(rowTag)!;
    keys.delete(oldest.value);
    if (keys.size === 0) this.#byRow.delete(rowTag);
  }
}
