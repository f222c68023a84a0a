/**
 * The floor benchmark's CPU figure: a DevTools CPU profile of the probe isolate
 * (scripts/bench/fixtures/loop-worker) while it makes N requests back to back inside one
 * request, so the profile holds the request path and nothing else (see scripts/bench/floor.ts).
 *
 * @example
 * const run = await probeCpu(probe, 9745, { app: "ours", path: "/v1/users/1", headers, calls: 3000 });
 * run.busyMsPerRequest; run.unprofiledMsPerRequest; run.profile.top;
 */
import type { DevServer } from "../lib/dev-servers.ts";
import { profileCpu, type CpuProfile } from "./cpu-profile.ts";

/** A worker's own bundle as wrangler serves it (the snapshot's index.js). */
const OWN_SCRIPT = (url: string) => /(^|\/)index\.[jt]s$/.test(url);

export interface ProbeRun {
  busyMsPerRequest: number;
  /** The same loop's wall time per request without the profiler. */
  unprofiledMsPerRequest: number;
  profile: CpuProfile;
}

export interface ProbeTarget {
  /** Our Worker's app or the bare Hono app, both in the probe's bundle. */
  app: "ours" | "bare";
  path: string;
  headers: Record<string, string>;
  calls: number;
}

/** Warms the probe's path, times the loop once unprofiled, then profiles it. */
export async function probeCpu(probe: DevServer, inspectorPort: number, { app, path, headers, calls }: ProbeTarget): Promise<ProbeRun> {
  const loop = async (n: number) => {
    const res = await fetch(`${probe.url}/__bench/loop?app=${app}&n=${n}&path=${encodeURIComponent(path)}`, { method: "POST", headers });
    const body = (await res.json()) as { statuses?: Record<string, number>; xCache?: string | null };
    if (res.status !== 200 || body.statuses?.["200"] !== n) throw new Error(`probe ${app} ${path}: ${res.status} ${JSON.stringify(body)}`);
    if (app === "ours" && path.startsWith("/v1/users/") && body.xCache !== "l1") throw new Error(`probe ${path} was not an L1 hit (x-cache ${body.xCache})`);
  };
  await loop(Math.min(500, calls));
  const started = performance.now();
  await loop(calls);
  const unprofiledMsPerRequest = (performance.now() - started) / calls;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  // The loop alone: its full batches are sent inside it (a batch is due at BATCH_MAX_SIZE), and an
  // idle tail would not count as idle (workerd's thread shows as busy native frames there).
  const profile = await profileCpu(inspectorPort, () => loop(calls), OWN_SCRIPT, 100);
  return { busyMsPerRequest: profile.busyMs / calls, unprofiledMsPerRequest, profile };
}
