/**
 * The adaptive strategy's batch size: between `min` and `max`, driven by the measured
 * message rate and the measured cost of a send.
 *
 * Rate: an exponentially decayed event rate (each arrival adds 1/tau, the sum decays
 * with e^(-dt/tau)); at a steady λ messages/ms it converges to λ, and it falls towards
 * zero when the connection goes quiet, without any timer. tau defaults to one batch
 * window: the decision is about the next window, so the last one is what counts.
 *
 * Target: `rate × maxWaitMs / 2`, the number of messages that arrive in half a batch
 * window. Under steady load the queue fills in about half the window, so a normal
 * message waits about maxWaitMs/2 while frames shrink by that factor; a quiet
 * connection gets the minimum and its few messages leave sooner. An expensive send
 * (EWMA of the time spent in send, relative to `sendCostReferenceMs`) scales the
 * target up: fewer, larger frames when every frame costs.
 *
 * @example
 * const size = new AdaptiveBatchSize({ min: 2, max: 50, maxWaitMs: 100 });
 * size.recordArrival(now); size.target(now); // 2 when quiet, up to 50 under load
 */

export interface AdaptiveOptions {
  min: number;
  max: number;
  maxWaitMs: number;
  /** Decay time constant of the rate estimate. Default maxWaitMs (at least 10 ms): the rate of about the last batch window. */
  tauMs?: number;
  /** A send this expensive doubles the target. Default 1 ms. */
  sendCostReferenceMs?: number;
}

/** Weight of the newest send in the send-cost EWMA. */
const SEND_COST_ALPHA = 0.2;

export class AdaptiveBatchSize {
  private rate = 0;
  private rateAt = 0;
  private sendCostMs = 0;
  private readonly tauMs: number;
  private readonly sendCostReferenceMs: number;

  constructor(private readonly options: AdaptiveOptions) {
    this.tauMs = options.tauMs ?? Math.max(options.maxWaitMs, 10);
    this.sendCostReferenceMs = options.sendCostReferenceMs ?? 1;
  }

  /** Messages per ms, as measured up to `now`. */
  currentRate(now: number): number {
    const dt = Math.max(0, now - this.rateAt);
    return this.rate * Math.exp(-dt / this.tauMs);
  }

  recordArrival(now: number): void {
    this.rate = this.currentRate(now) + 1 / this.tauMs;
    this.rateAt = now;
  }

  recordSend(costMs: number): void {
    this.sendCostMs += SEND_COST_ALPHA * (Math.max(0, costMs) - this.sendCostMs);
  }

  target(now: number): number {
    const { min, max, maxWaitMs } = this.options;
    const costFactor = 1 + this.sendCostMs / this.sendCostReferenceMs;
    const wanted = Math.ceil(((this.currentRate(now) * maxWaitMs) / 2) * costFactor);
    return Math.min(max, Math.max(min, wanted));
  }
}
