/**
 * A connection's inbound rate: a token bucket (`ratePerSecond`, `burst`) decides
 * whether a message is accepted. Rejections draw on a second bucket of the same size:
 * a client slightly over the rate just gets its extra messages refused, one that keeps
 * flooding at several times the rate empties it and is told to go ("abuse").
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

class TokenBucket {
  private tokens: number;
  constructor(
    private readonly limits: InboundLimits,
    private at: number,
  ) {
    this.tokens = limits.burst;
  }

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

  constructor(limits: InboundLimits, now: number) {
    this.messages = new TokenBucket(limits, now);
    this.strikes = new TokenBucket(limits, now);
  }

  take(now: number): InboundVerdict {
    if (this.messages.take(now)) {
      this.limited = false;
      return "accept";
    }
    return this.strikes.take(now) ? "reject" : "abuse";
  }
}
