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
  /** When set, bump waits for it: a write whose Redis bump is still in flight. */
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

  #version(key: string): number | null {
    const text = this.#get(key);
    return text === null ? null : Number(text);
  }
  /** Redis's TIME in microseconds, on the fake clock: where a forgotten tag restarts (as the real scripts do). */
  #floor(): number {
    return this.clock.now() * 1000;
  }

  lookup(key: string, tagKeys: readonly string[]) {
    return this.#op(() => ({ value: this.#get(key), versions: tagKeys.map((k) => this.#version(k)) }));
  }
  versions(tagKeys: readonly string[]) {
    return this.#op(() => tagKeys.map((k) => this.#version(k)));
  }
  lockAndLookup(lockKey: string, token: string, ttlMs: number, key: string, tagKeys: readonly string[]) {
    return this.#op(() => {
      const locked = this.#get(lockKey) === null;
      if (locked) this.data.set(lockKey, { value: token, expiresAt: this.clock.now() + ttlMs });
      return { locked, value: this.#get(key), versions: tagKeys.map((k) => this.#version(k)) };
    });
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
  async bump(keys: readonly string[], ttlSeconds: number) {
    await this.incrGate;
    return this.#op(() =>
      keys.map((k) => {
        const next = (this.#version(k) ?? this.#floor()) + 1;
        this.data.set(k, { value: String(next), expiresAt: this.clock.now() + ttlSeconds * 1000 });
        return next;
      }),
    );
  }
  seed(keys: readonly string[], ttlSeconds: number) {
    return this.#op(() =>
      keys.map((k) => {
        const known = this.#version(k);
        if (known !== null) return known;
        this.data.set(k, { value: String(this.#floor()), expiresAt: this.clock.now() + ttlSeconds * 1000 });
        return this.#floor();
      }),
    );
  }
  /** Redis restarted without persistence: every key gone. */
  forgetAll(): void {
    this.data.clear();
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
