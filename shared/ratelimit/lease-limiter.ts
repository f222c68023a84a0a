/**
 * A sliding-window rate limit shared by every isolate, answered from the isolate's
 * memory most of the time: budget leases.
 *
 * Instead of one Redis round trip per request, an isolate takes a *lease* of `n`
 * requests from the shared window in one atomic step (the store grants at most
 * what is left) and spends it locally. A client at a steady rate costs one round
 * trip per lease, and the lease grows (doubling, up to `maxLeaseShare` of the
 * limit) while each one is spent within `leaseHorizonMs`, and shrinks back when
 * the client slows down. So a quiet client is counted request by request, and a
 * busy one a few times per second, whatever its rate.
 *
 * Why not the alternatives (measured in the README's floor benchmark):
 * - @upstash/ratelimit sends every request to Redis; its `cachedFixedWindow`
 *   answers from memory but still sends every increment.
 * - Cloudflare's `[[ratelimits]]` binding has no round trip but counts per
 *   location and answers only `{ success }` (no RateLimit-Remaining/-Reset).
 *
 * What a lease costs in accuracy: never more than the limit is admitted across
 * all isolates (every grant is counted in the shared window before it is spent).
 * A lease not spent when its window ends is given up, and a lease held by one
 * isolate cannot serve another: at most `maxLeaseShare` of the limit per isolate
 * and client is under-admitted. `remaining` is this isolate's view: the shared
 * count at its last grant, less what it spent since.
 *
 * Over the limit, a client is refused from memory until the window ends (no
 * round trip per refusal). When the store fails or is slower than `timeoutMs`,
 * the check says so (`unavailable`) and the caller decides; a late grant is kept.
 *
 * @example
 * const limiter = new LeaseLimiter(store, { limit: 3000, windowMs: 60_000 }, LEASE_DEFAULTS);
 * const decision = await limiter.check("key:0123abcd");
 * if (decision.kind === "refused") retryAfter(decision.reset);
 */
export interface LeaseRule {
  limit: number;
  windowMs: number;
}

export interface LeaseGrant {
  /** Requests granted, 0..want. */
  granted: number;
  /** The window's weighted count after the grant (this grant included). */
  used: number;
}

/** The shared window: grants at most what is left of `rule.limit`, atomically. */
export interface LeaseStore {
  lease(id: string, rule: LeaseRule, want: number, now: number): Promise<LeaseGrant>;
}

export interface LeaseOptions {
  /** The largest lease, as a share of the limit (at least 1 request). */
  maxLeaseShare: number;
  /** A lease spent faster than this grows; one that lasts longer shrinks. */
  leaseHorizonMs: number;
  /** How long a check waits for the store before answering `unavailable`. */
  timeoutMs: number;
  /** Clients remembered per isolate (least recently seen forgotten first). */
  maxClients: number;
}

export const LEASE_DEFAULTS: Omit<LeaseOptions, "timeoutMs"> = { maxLeaseShare: 0.05, leaseHorizonMs: 1000, maxClients: 10_000 };

interface Budget {
  limit: number;
  remaining: number;
  /** Epoch ms when the current window ends. */
  reset: number;
}

export type LeaseDecision =
  | ({ kind: "allowed" } & Budget)
  | ({ kind: "refused"; fromMemory: boolean } & Budget)
  | { kind: "unavailable"; reason: "timeout" | "error"; pending: Promise<unknown> };

interface Client {
  window: number;
  /** Requests left in the current lease. */
  left: number;
  /** The shared count when the current lease was granted. */
  usedAtGrant: number;
  /** The next lease's size. */
  size: number;
  grantedAt: number;
  /** Refused from memory until this time (the window's end). */
  blockedUntil: number;
  refill: Promise<"ok" | "error"> | undefined;
}

const TIMED_OUT = Symbol("timeout");

export class LeaseLimiter {
  readonly #clients = new Map<string, Client>();
  readonly #maxLease: number;

  constructor(
    private readonly store: LeaseStore,
    readonly rule: LeaseRule,
    private readonly options: LeaseOptions,
  ) {
    this.#maxLease = Math.max(1, Math.floor(rule.limit * options.maxLeaseShare));
  }

  async check(id: string, now = Date.now()): Promise<LeaseDecision> {
    const { limit, windowMs } = this.rule;
    const window = Math.floor(now / windowMs);
    const reset = (window + 1) * windowMs;
    const client = this.#client(id, window);
    if (client.blockedUntil > now) return { kind: "refused", fromMemory: true, limit, remaining: 0, reset };
    while (client.left === 0) {
      client.refill ??= this.#refill(id, client, now);
      const refill = client.refill;
      const outcome = await this.#within(refill);
      if (outcome === TIMED_OUT) return { kind: "unavailable", reason: "timeout", pending: refill };
      if (outcome === "error") return { kind: "unavailable", reason: "error", pending: refill };
      if (client.window !== window) return this.check(id, Date.now());
      if (client.left === 0 && client.blockedUntil > now) return { kind: "refused", fromMemory: false, limit, remaining: 0, reset };
    }
    client.left--;
    return { kind: "allowed", limit, remaining: Math.max(0, limit - client.usedAtGrant + client.left), reset };
  }

  /** The client's state for this window (a new window drops the old lease: its grant counted there). */
  #client(id: string, window: number): Client {
    let client = this.#clients.get(id);
    if (client === undefined) {
      client = { window, left: 0, usedAtGrant: 0, size: 1, grantedAt: 0, blockedUntil: 0, refill: undefined };
      if (this.#clients.size >= this.options.maxClients) this.#clients.delete(this.#clients.keys().next().value!);
    } else {
      this.#clients.delete(id);
      if (client.window !== window) {
        client.window = window;
        client.left = 0;
      }
    }
    this.#clients.set(id, client);
    return client;
  }

  #refill(id: string, client: Client, now: number): Promise<"ok" | "error"> {
    const spentQuickly = client.grantedAt > 0 && now - client.grantedAt < this.options.leaseHorizonMs;
    client.size = spentQuickly ? Math.min(this.#maxLease, client.size * 2) : Math.max(1, Math.floor(client.size / 2));
    const window = client.window;
    return this.store.lease(id, this.rule, client.size, now).then(
      ({ granted, used }) => {
        client.refill = undefined;
        if (client.window !== window) return "ok";
        client.left += granted;
        client.usedAtGrant = used;
        client.grantedAt = now;
        if (granted === 0) client.blockedUntil = (window + 1) * this.rule.windowMs;
        return "ok";
      },
      () => {
        client.refill = undefined;
        return "error";
      },
    );
  }

  async #within<T>(promise: Promise<T>): Promise<T | typeof TIMED_OUT> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.options.timeoutMs);
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
