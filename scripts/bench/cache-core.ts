/**
 * Building blocks for the cache benchmark (scripts/bench/cache.ts): our L1 tier
 * against raw lru-cache with the same settings, measured side by side in one
 * run with interleaved rounds, and a deterministic Zipf key generator.
 *
 * @example
 * const next = zipfKeys(10_000, 1.1, 42); next(); // a rank in [0, 10000), rank 0 the most frequent
 * const { l1_get_ratio, l1_set_ratio } = l1Ratios();
 */
import { LRUCache } from "lru-cache";
import { L1Tier, lruOptions, type L1Entry } from "../../shared/cache/l1.ts";

/** mulberry32: a tiny seeded PRNG, so two runs draw the same keys. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A sampler of ranks in [0, n) with P(k) proportional to 1 / (k + 1)^s,
 * deterministic for a seed (inverse CDF by binary search).
 */
export function zipfKeys(n: number, s: number, seed: number): () => number {
  if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError("n must be a positive integer");
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  for (let k = 0; k < n; k++) cdf[k]! /= total;
  const random = prng(seed);
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface L1RatioOptions {
  /** Distinct keys (all resident: a get is a hit, as on the hot path). */
  keys?: number;
  /** Operations per timed batch, and batches per side (interleaved, order alternating). */
  opsPerRound?: number;
  rounds?: number;
  zipfS?: number;
  seed?: number;
}

export interface L1Ratios {
  l1_get_ratio: number;
  l1_set_ratio: number;
  ours_get_ops_per_s: number;
  raw_get_ops_per_s: number;
  ours_set_ops_per_s: number;
  raw_set_ops_per_s: number;
  rounds: number;
  ops_per_round: number;
}

const TTL_MS = 3_600_000;

function timeIt(batch: () => void): number {
  const start = performance.now();
  batch();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * ops/s of our L1 get (lookup + freshness + hit/miss counting, as the read path
 * does it) and set, against raw lru-cache built from the same options
 * (max, maxSize, sizeCalculation, ttlResolution 0, same clock, per-entry ttl).
 * Ratios are ours / raw, each the median of per-round ratios.
 */
export function l1Ratios(options: L1RatioOptions = {}): L1Ratios {
  const { keys = 1000, opsPerRound = 200_000, rounds = 15, zipfS = 1.1, seed = 7 } = options;
  const now = Date.now;
  const settings = { maxEntries: keys, maxBytes: 32 * 1024 * 1024, now };
  const ours = new L1Tier(settings);
  const raw = new LRUCache<string, L1Entry>(lruOptions(settings));

  const names = Array.from({ length: keys }, (_, i) => `users:by-id:${i}`);
  const entries: L1Entry[] = names.map((_, i) => {
    const t = now();
    return { value: { id: i }, tags: ["public.users"], versions: [0], gen: 0, storedAt: t, freshUntil: t + TTL_MS, staleUntil: t + 2 * TTL_MS, size: 64 };
  });
  for (let i = 0; i < keys; i++) {
    ours.set(names[i]!, entries[i]!);
    raw.set(names[i]!, entries[i]!, { ttl: 2 * TTL_MS });
  }
  const next = zipfKeys(keys, zipfS, seed);
  const sequence = Array.from({ length: opsPerRound }, () => names[next()]!);
  const entryOf = Array.from({ length: opsPerRound }, (_, i) => entries[i % keys]!);

  let sink = 0;
  const oursGet = () => {
    for (let i = 0; i < sequence.length; i++) {
      const entry = ours.get(sequence[i]!);
      if (entry === undefined) ours.miss();
      else {
        ours.hit(ours.lastNow >= entry.freshUntil);
        sink += entry.size;
      }
    }
  };
  const rawGet = () => {
    for (let i = 0; i < sequence.length; i++) {
      const entry = raw.get(sequence[i]!);
      if (entry !== undefined) sink += entry.size;
    }
  };
  const oursSet = () => {
    for (let i = 0; i < sequence.length; i++) ours.set(sequence[i]!, entryOf[i]!);
  };
  const rawSet = () => {
    for (let i = 0; i < sequence.length; i++) {
      const entry = entryOf[i]!;
      raw.set(sequence[i]!, entry, { ttl: Math.ceil(entry.staleUntil - now()) });
    }
  };

  // Warm-up: let the JIT settle on both sides before anything is timed.
  for (let i = 0; i < 3; i++) [oursGet, rawGet, oursSet, rawSet].forEach((f) => f());

  const time = { oursGet: 0, rawGet: 0, oursSet: 0, rawSet: 0 };
  const getRatios: number[] = [];
  const setRatios: number[] = [];
  /** Times both sides back to back, alternating which goes first, so drift hits both alike. */
  const pair = (round: number, oursBatch: () => void, rawBatch: () => void): [number, number] => {
    if (round % 2 === 0) {
      const o = timeIt(oursBatch);
      return [o, timeIt(rawBatch)];
    }
    const r = timeIt(rawBatch);
    return [timeIt(oursBatch), r];
  };
  for (let round = 0; round < rounds; round++) {
    const [og, rg] = pair(round, oursGet, rawGet);
    time.oursGet += og;
    time.rawGet += rg;
    getRatios.push(rg / og);
    const [os, rs] = pair(round, oursSet, rawSet);
    time.oursSet += os;
    time.rawSet += rs;
    setRatios.push(rs / os);
  }
  if (sink === -1) console.log(sink);
  const perSecond = (ms: number) => (opsPerRound * rounds) / (ms / 1000);
  return {
    l1_get_ratio: median(getRatios),
    l1_set_ratio: median(setRatios),
    ours_get_ops_per_s: perSecond(time.oursGet),
    raw_get_ops_per_s: perSecond(time.rawGet),
    ours_set_ops_per_s: perSecond(time.oursSet),
    raw_set_ops_per_s: perSecond(time.rawSet),
    rounds,
    ops_per_round: opsPerRound,
  };
}
