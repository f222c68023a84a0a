/**
 * HTTP-level figures through `wrangler dev`: sequential requests (one at a time,
 * keep-alive), the routes interleaved round by round so drift hits them alike.
 */
import { summary } from "./cache-fixture.ts";

export interface HttpTarget {
  url: string;
  adminKey: string;
}

async function timedGet(target: HttpTarget, path: string, auth = true): Promise<{ ms: number; status: number; tier: string | null; dbMs: number }> {
  const headers = auth ? { authorization: `Bearer ${target.adminKey}` } : undefined;
  const t0 = performance.now();
  const res = await fetch(`${target.url}${path}`, { headers });
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  const dbMs = Number(/db;dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1] ?? Number.NaN);
  return { ms, status: res.status, tier: res.headers.get("x-cache"), dbMs };
}

export interface RouteComparison {
  ping: ReturnType<typeof summary>;
  publicPing: ReturnType<typeof summary>;
  l1: ReturnType<typeof summary>;
  /** Requests that did not answer 200 with the expected x-cache, by "status/x-cache". */
  unexpected: Record<string, number>;
}

/** Trivial routes vs L1-hit reads of `hotIds` (read once first so they are in L1). */
export async function compareRoutes(target: HttpTarget, hotIds: string[], rounds = 20, perRound = 50): Promise<RouteComparison> {
  for (const id of hotIds) await timedGet(target, `/v1/users/${id}`);
  for (let i = 0; i < 200; i++) await timedGet(target, "/v1/ping");
  const ping: number[] = [];
  const publicPing: number[] = [];
  const l1: number[] = [];
  const unexpected: Record<string, number> = {};
  const note = (what: string) => (unexpected[what] = (unexpected[what] ?? 0) + 1);
  let k = 0;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < perRound; i++) {
      const p = await timedGet(target, "/v1/ping");
      if (p.status !== 200) note(`ping ${p.status}`);
      ping.push(p.ms);
      const h = await timedGet(target, `/v1/users/${hotIds[k++ % hotIds.length]}`);
      if (h.status !== 200 || h.tier !== "l1") note(`read ${h.status}/${h.tier}`);
      l1.push(h.ms);
      const q = await timedGet(target, "/ping", false);
      if (q.status !== 200) note(`public ping ${q.status}`);
      publicPing.push(q.ms);
    }
  }
  return { ping: summary(ping), publicPing: summary(publicPing), l1: summary(l1), unexpected };
}

/** Each id read once (never read before): every request a miss. */
export async function misses(
  target: HttpTarget,
  coldIds: string[],
): Promise<{ stats: ReturnType<typeof summary>; db: ReturnType<typeof summary>; unexpected: Record<string, number> }> {
  const samples: number[] = [];
  const db: number[] = [];
  const unexpected: Record<string, number> = {};
  for (const id of coldIds) {
    const r = await timedGet(target, `/v1/users/${id}`);
    if (r.status !== 200 || r.tier !== "miss") unexpected[`${r.status}/${r.tier}`] = (unexpected[`${r.status}/${r.tier}`] ?? 0) + 1;
    samples.push(r.ms);
    if (Number.isFinite(r.dbMs)) db.push(r.dbMs);
  }
  return { stats: summary(samples), db: summary(db), unexpected };
}

/** `count` concurrent reads of one never-read id, spread over the targets; every answer must be 200. */
export async function stampede(targets: HttpTarget[], id: string, count = 100): Promise<{ ok: number; tiers: Record<string, number> }> {
  const results = await Promise.all(Array.from({ length: count }, (_, i) => timedGet(targets[i % targets.length]!, `/v1/users/${id}`)));
  const tiers: Record<string, number> = {};
  for (const r of results) tiers[r.tier ?? "none"] = (tiers[r.tier ?? "none"] ?? 0) + 1;
  return { ok: results.filter((r) => r.status === 200).length, tiers };
}
