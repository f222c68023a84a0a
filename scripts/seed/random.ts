/**
 * A seeded PRNG and the samplers the generators draw from. mulberry32: tiny, fast and
 * good enough for synthetic data; the same seed gives the same stream on every platform.
 */

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A fresh independent stream, so one table's row count never shifts another's data. */
  fork(salt: number): Random {
    return new Random(Math.imul(this.state ^ salt, 0x9e3779b1) ^ (salt << 7));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  hex(length: number): string {
    let out = "";
    while (out.length < length) out += (this.next() * 4294967296 >>> 0).toString(16).padStart(8, "0");
    return out.slice(0, length);
  }

  /** A random (version 4 shaped) UUID. */
  uuid(): string {
    const h = this.hex(32);
    const variant = "89ab"[this.int(0, 3)]!;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Fisher-Yates permutation of 1..n. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i + 1;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }
}

/** Draws items by weight; O(log n) per draw over a precomputed cumulative table. */
export class Weighted<T> {
  private readonly items: readonly T[];
  private readonly cumulative: Float64Array;

  constructor(entries: readonly (readonly [T, number])[]) {
    this.items = entries.map(([item]) => item);
    this.cumulative = cumulativeOf(entries.map(([, weight]) => weight));
  }

  draw(random: Random): T {
    return this.items[searchCumulative(this.cumulative, random.next())]!;
  }
}

/**
 * Zipf over ranks 1..n (P(rank k) ∝ 1/k^s), mapped through a permutation so the most active
 * entities are scattered over the id range instead of being ids 1, 2, 3.
 */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(
    n: number,
    exponent: number,
    private readonly idOfRank: Int32Array,
  ) {
    const weights = new Float64Array(n);
    for (let k = 0; k < n; k++) weights[k] = 1 / Math.pow(k + 1, exponent);
    this.cumulative = cumulativeOf(weights);
  }

  draw(random: Random): number {
    return this.idOfRank[searchCumulative(this.cumulative, random.next())]!;
  }
}

function cumulativeOf(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i]!;
    out[i] = total;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / total;
  return out;
}

/** First index whose cumulative share exceeds u. */
function searchCumulative(cumulative: Float64Array, u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
