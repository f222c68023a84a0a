/**
 * A circuit breaker for the Redis tier: after `failureThreshold` consecutive
 * failures it opens and the cache stops calling Redis (L1 + database only);
 * after `cooldownMs` one probe call is let through (half-open); its success
 * closes the breaker, its failure opens it again for another cool-down.
 *
 * @example
 * if (breaker.allow()) { try { await call(); breaker.success(); } catch { breaker.failure(); } }
 */
import type { BreakerState } from "./types.ts";

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #probeInFlight = false;
  #opens = 0;

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether a call may go to Redis now. In half-open state only one probe is allowed at a time. */
  allow(): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "open") {
      if (this.now() - this.#openedAt < this.cooldownMs) return false;
      this.#state = "half-open";
    }
    if (this.#probeInFlight) return false;
    this.#probeInFlight = true;
    return true;
  }

  /** Records a successful call; returns true when this closed a breaker that was not closed. */
  success(): boolean {
    const reopened = this.#state !== "closed";
    this.#state = "closed";
    this.#failures = 0;
    this.#probeInFlight = false;
    return reopened;
  }

  failure(): void {
    this.#failures++;
    this.#probeInFlight = false;
    if (this.#state === "half-open" || (this.#state === "closed" && this.#failures >= this.failureThreshold)) {
      this.#state = "open";
      this.#openedAt = this.now();
      this.#opens++;
    }
  }

  /** Open and still cooling down: no call would be let through. Allocates nothing (L1 hits ask it). */
  isOpen(): boolean {
    return this.#state === "open" && this.now() - this.#openedAt < this.cooldownMs;
  }

  snapshot(): { state: BreakerState; consecutiveFailures: number; opens: number } {
    // Report "half-open" once the cool-down is over even before a probe was attempted.
    const state = this.#state === "open" && !this.isOpen() ? "half-open" : this.#state;
    return { state, consecutiveFailures: this.#failures, opens: this.#opens };
  }
}
