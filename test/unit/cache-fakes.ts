/**
 * Test doubles for the cache's unit tests: a clock the test moves, and an
 * in-memory CacheStore (with TTLs on that clock) that can be made to fail or hang.
 */
import type { CacheStore } from "../../shared/cache/types.ts";

export class FakeClock {
  constructor(public t = 1_000_000) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export type StoreMode = "ok" | "fail" | "hang";

export class FakeStore implements CacheStore {
  mode: StoreMode = "ok";
  calls = 0;
  /** When set, INCR waits for it: a write whose Redis bump is still in flight. */
  incrGate: Promise<void> | undefined;
  readonly data = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly clock: FakeClock) {}

  async #op<R>(run: () => R): Promise<R> {
    this.calls++;
    // A microtask hop so store replies interleave with other work as real I/O would.
    await Promise.resolve();
    if (this.mode === "fail") throw new Error("redis down");
    if (this.mode === "hang") return new Promise<R>(() => undefined);
    return run();
  }

  #get(key: string): string | null {
    const item = this.data.get(key);
    if (item === undefined) return null;
    if (item.expiresAt <= this.clock.now()) {
      this.data.delete(key);
      return null;
    }
    return item.value;
  }

  lookup(key: string, tagKeys: readonly string[]) {
    return this.#op(() => ({ value: this.#get(key), versions: tagKeys.map((k) => Number(this.#get(k) ?? 0)) }));
  }
  versions(tagKeys: readonly string[]) {
    return this.#op(() => tagKeys.map((k) => Number(this.#get(k) ?? 0)));
  }
  set(key: string, value: string, ttlMs: number, unlockKey?: string) {
    return this.#op(() => {
      this.data.set(key, { value, expiresAt: this.clock.now() + ttlMs });
      if (unlockKey !== undefined) this.data.delete(unlockKey);
    });
  }
  del(key: string) {
    return this.#op(() => {
      this.data.delete(key);
    });
  }
  setIfAbsent(key: string, value: string, ttlMs: number) {
    return this.#op(() => {
      if (this.#get(key) !== null) return false;
      this.data.set(key, { value, expiresAt: this.clock.now() + ttlMs });
      return true;
    });
  }
  async incr(keys: readonly string[]) {
    await this.incrGate;
    return this.#op(() =>
      keys.map((k) => {
        const next = Number(this.#get(k) ?? 0) + 1;
        this.data.set(k, { value: String(next), expiresAt: Number.POSITIVE_INFINITY });
        return next;
      }),
    );
  }
}

/** A promise the test resolves or rejects by hand. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
