/**
 * A connection's inbound rate: a token bucket (`ratePerSecond`, `burst`) decides
 * whether a message is accepted. Rejections draw on a second bucket of the same size:
 * a client slightly over the rate just gets its extra messages refused, one that keeps
 * flooding at several times the rate empties it and is told to go ("abuse").
 *
 * Its state is plain data (`state()`), so a hibernating room keeps it in the
 * connection's serialized state and a flooder cannot reset its budget by waiting for
 * the room to hibernate.
 *
 * @example
 * const limiter = new InboundLimiter({ ratePerSecond: 100, burst: 200 }, Date.now());
 * limiter.take(Date.now()); // "accept" | "reject" | "abuse"
 */

export type InboundVerdict = "accept" | "reject" | "abuse";

export interface InboundLimits {
  ratePerSecond: number;
  burst: number;
}

/** [message tokens, their time (ms), strike tokens, their time, limited 0/1]: small enough to save after every message. */
export type InboundLimiterState = [number, number, number, number, number];

class TokenBucket {
  constructor(
    private readonly limits: InboundLimits,
    public at: number,
    public tokens = limits.burst,
  ) {}

  take(now: number): boolean {
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.at) / 1000) * this.limits.ratePerSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class InboundLimiter {
  private readonly messages: TokenBucket;
  private readonly strikes: TokenBucket;
  /** True from the first refused message until the next accepted one: one error frame per episode. */
  limited = false;

  constructor(limits: InboundLimits, now: number, saved?: InboundLimiterState) {
    this.messages = new TokenBucket(limits, saved?.[1] ?? now, saved?.[0]);
    this.strikes = new TokenBucket(limits, saved?.[3] ?? now, saved?.[2]);
    this.limited = saved?.[4] === 1;
  }

  state(): InboundLimiterState {
    return [this.messages.tokens, this.messages.at, this.strikes.tokens, this.strikes.at, this.limited ? 1 : 0];
  }

  take(now: number): InboundVerdict {
    if (this.messages.take(now)) {
      this.limited = false;
      return "accept";
    }
    return this.strikes.take(now) ? "reject" : "abuse";
  }
}
