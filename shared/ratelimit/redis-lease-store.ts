/**
 * The shared window of LeaseLimiter in Redis: one Lua script grants a lease
 * atomically, so concurrent isolates never grant more than the limit together.
 *
 * The window is a sliding one, approximated the usual way from two fixed buckets:
 * `used = previous * (share of the previous window still inside the sliding one)
 * + current`. Buckets live under `<prefix>:<id>:<window number>` and expire after
 * two windows. The clock is the caller's (the isolate's `Date.now()`).
 *
 * @example
 * const store = new RedisLeaseStore(upstashRedis(config.redis), "netra:rl:ab12:perKey");
 * await store.lease("key:0123abcd", { limit: 3000, windowMs: 60_000 }, 8, Date.now()); // { granted: 8, used: 8 }
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { LeaseGrant, LeaseRule, LeaseStore } from "./lease-limiter.ts";

const LEASE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local weighted = previous * (window - elapsed) / window + current
local granted = math.max(0, math.min(want, math.floor(limit - weighted)))
if granted > 0 then
  redis.call('INCRBY', KEYS[1], granted)
  redis.call('PEXPIRE', KEYS[1], window * 2 + 1000)
end
return { granted, math.ceil(weighted + granted) }
`;

type Script = ReturnType<Redis["createScript"]>;

export class RedisLeaseStore implements LeaseStore {
  readonly #script: Script;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.#script = redis.createScript(LEASE_SCRIPT);
  }

  async lease(id: string, rule: LeaseRule, want: number, now: number): Promise<LeaseGrant> {
    const window = Math.floor(now / rule.windowMs);
    const keys = [`${this.prefix}:${id}:${window}`, `${this.prefix}:${id}:${window - 1}`];
    const args = [rule.limit, rule.windowMs, now - window * rule.windowMs, want].map(String);
    const reply = await this.#script.exec(keys, args);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected lease reply: ${JSON.stringify(reply)}`);
    return { granted: Number(reply[0]), used: Number(reply[1]) };
  }
}
