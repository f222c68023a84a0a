/**
 * LeaseLimiter's logic against an in-memory shared window (the same sliding
 * formula as the Redis script; test/integration/ratelimit-leases.test.ts runs the
 * real one): exact budgets, growing and shrinking leases, refusals from memory,
 * single-flight refills, and failing open on a slow or broken store.
 */
import { describe, expect, it } from "vitest";
import { LeaseLimiter, type LeaseGrant, type LeaseRule, type LeaseStore } from "../../shared/ratelimit/lease-limiter.ts";

class MemoryLeaseStore implements LeaseStore {
  readonly buckets = new Map<string, number>();
  readonly wants: number[] = [];
  delayMs = 0;
  failing = false;

  async lease(id: string, rule: LeaseRule, want: number, now: number): Promise<LeaseGrant> {
    this.wants.push(want);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failing) throw new Error("store down");
    const window = Math.floor(now / rule.windowMs);
    const current = this.buckets.get(`${id}:${window}`) ?? 0;
    const previous = this.buckets.get(`${id}:${window - 1}`) ?? 0;
    const weighted = (previous * (rule.windowMs - (now - window * rule.windowMs))) / rule.windowMs + current;
    const granted = Math.max(0, Math.min(want, Math.floor(rule.limit - weighted)));
    this.buckets.set(`${id}:${window}`, current + granted);
    return { granted, used: Math.ceil(weighted + granted) };
  }
}

const OPTIONS = { maxLeaseShare: 0.05, leaseHorizonMs: 1000, timeoutMs: 200, maxClients: 100 };
const T0 = 1_800_000_000_000; // a window boundary for 60 s windows

describe("LeaseLimiter", () => {
  it("admits exactly the limit in a window and counts down remaining by one per request", async () => {
    const store = new MemoryLeaseStore();
    const limiter = new LeaseLimiter(store, { limit: 3, windowMs: 60_000 }, OPTIONS);
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.check("a", T0 + i));
    expect(decisions.map((d) => d.kind)).toEqual(["allowed", "allowed", "allowed", "refused", "refused"]);
    expect(decisions.slice(0, 3).map((d) => (d.kind === "allowed" ? d.remaining : -1))).toEqual([2, 1, 0]);
    expect(decisions.slice(3).map((d) => (d.kind === "refused" ? d.fromMemory : null))).toEqual([false, true]);
    // The refusal from memory cost no round trip: 3 grants and the refused one.
    expect(store.wants).toHaveLength(4);
    expect(decisions[3]).toMatchObject({ reset: T0 + 60_000, remaining: 0 });
  });

  it("grows leases for a busy client, so round trips fall far below requests, and never overshoots", async () => {
    const store = new MemoryLeaseStore();
    const limiter = new LeaseLimiter(store, { limit: 10_000, windowMs: 60_000 }, OPTIONS);
    let allowed = 0;
    let remaining = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2_000; i++) {
      const d = await limiter.check("busy", T0 + i);
      if (d.kind !== "allowed") throw new Error(`unexpected ${d.kind}`);
      expect(d.remaining).toBeLessThan(remaining);
      remaining = d.remaining;
      allowed++;
    }
    expect(allowed).toBe(2_000);
    expect(Math.max(...store.wants)).toBe(500); // 5% of the limit
    expect(store.wants.length).toBeLessThan(20);
    expect(remaining).toBe(10_000 - 2_000);
  });

  it("shrinks the lease again for a client that slowed down", async () => {
    const store = new MemoryLeaseStore();
    const limiter = new LeaseLimiter(store, { limit: 10_000, windowMs: 600_000 }, OPTIONS);
    let now = T0;
    for (let i = 0; i < 200; i++) await limiter.check("c", now++);
    const busiest = store.wants.at(-1)!;
    expect(busiest).toBeGreaterThan(8);
    // Now one request every 5 s: each lease lasts past the horizon, so the next one halves.
    for (let i = 0; i < 400; i++) await limiter.check("c", (now += 5_000));
    expect(store.wants.at(-1)).toBe(1);
  });

  it("gives one refill to concurrent requests of a client (single flight) and shares its grant", async () => {
    const store = new MemoryLeaseStore();
    store.delayMs = 20;
    const limiter = new LeaseLimiter(store, { limit: 2, windowMs: 60_000 }, OPTIONS);
    const decisions = await Promise.all(Array.from({ length: 4 }, () => limiter.check("d", T0)));
    expect(decisions.filter((d) => d.kind === "allowed")).toHaveLength(2);
    expect(decisions.filter((d) => d.kind === "refused")).toHaveLength(2);
    expect(store.wants.length).toBeLessThanOrEqual(3);
  });

  it("keeps two isolates sharing one store within the limit together", async () => {
    const store = new MemoryLeaseStore();
    const rule = { limit: 1_000, windowMs: 60_000 };
    const isolates = [new LeaseLimiter(store, rule, OPTIONS), new LeaseLimiter(store, rule, OPTIONS)];
    let allowed = 0;
    for (let i = 0; i < 3_000; i++) if ((await isolates[i % 2]!.check("shared", T0 + i)).kind === "allowed") allowed++;
    expect(allowed).toBeLessThanOrEqual(1_000);
    // Under-admission is bounded by one lease (5% of the limit) per isolate.
    expect(allowed).toBeGreaterThanOrEqual(1_000 - 2 * 50);
  });

  it("starts a new lease in a new window and lets the old window's weight decay", async () => {
    const store = new MemoryLeaseStore();
    const limiter = new LeaseLimiter(store, { limit: 10, windowMs: 1_000 }, OPTIONS);
    for (let i = 0; i < 10; i++) expect((await limiter.check("w", T0 + i)).kind).toBe("allowed");
    expect((await limiter.check("w", T0 + 500)).kind).toBe("refused");
    // Half-way through the next window half of the previous one still counts: 5 left.
    let allowed = 0;
    for (let i = 0; i < 10; i++) if ((await limiter.check("w", T0 + 1_500 + i)).kind === "allowed") allowed++;
    expect(allowed).toBe(5);
  });

  it("answers unavailable after the timeout and keeps a grant that arrives late", async () => {
    const store = new MemoryLeaseStore();
    store.delayMs = 80;
    const limiter = new LeaseLimiter(store, { limit: 5, windowMs: 60_000 }, { ...OPTIONS, timeoutMs: 10 });
    const slow = await limiter.check("s", T0);
    expect(slow).toMatchObject({ kind: "unavailable", reason: "timeout" });
    if (slow.kind === "unavailable") await slow.pending;
    store.delayMs = 0;
    const next = await limiter.check("s", T0 + 1);
    expect(next).toMatchObject({ kind: "allowed", remaining: 4 });
    expect(store.wants).toHaveLength(1);
  });

  it("answers unavailable on a store error and tries again on the next request", async () => {
    const store = new MemoryLeaseStore();
    store.failing = true;
    const limiter = new LeaseLimiter(store, { limit: 5, windowMs: 60_000 }, OPTIONS);
    expect(await limiter.check("e", T0)).toMatchObject({ kind: "unavailable", reason: "error" });
    store.failing = false;
    expect((await limiter.check("e", T0 + 1)).kind).toBe("allowed");
  });

  it("forgets the least recently seen client beyond maxClients", async () => {
    const store = new MemoryLeaseStore();
    const limiter = new LeaseLimiter(store, { limit: 1, windowMs: 60_000 }, { ...OPTIONS, maxClients: 2 });
    await limiter.check("x", T0);
    expect(await limiter.check("x", T0 + 1)).toMatchObject({ kind: "refused", fromMemory: false });
    await limiter.check("y", T0 + 2);
    await limiter.check("z", T0 + 3);
    // x was forgotten: its refusal comes from the store again, not from memory.
    expect(await limiter.check("x", T0 + 4)).toMatchObject({ kind: "refused", fromMemory: false });
  });
});
