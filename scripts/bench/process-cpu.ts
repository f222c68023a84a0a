/**
 * CPU time of a process group's processes, from /proc (Linux): what `wrangler dev`'s
 * workerd processes spent, whatever the DevTools profile's sampling says. The
 * floor bench divides the difference over a run by its requests.
 *
 * @example
 * const before = groupCpuMs(server.child.pid!, "workerd");
 * // ... load ...
 * const ms = groupCpuMs(server.child.pid!, "workerd") - before;
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Summed user + system CPU ms of the processes in group `pgid` whose command is `comm`. */
export function groupCpuMs(pgid: number, comm: string): number {
  let ms = 0;
  for (const p of processCpu()) if (p.comm === comm && p.pgid === pgid) ms += p.cpuMs;
  return ms;
}

/**
 * CPU ms of every process on the machine by command name (a workerd, the local Upstash
 * endpoint's node, ClickHouse, ...): the difference over a run says where the machine's two
 * cores went, not only the server's share.
 */
export function machineCpuMsByCommand(): Map<string, number> {
  const byCommand = new Map<string, number>();
  for (const p of processCpu()) {
    const label = p.comm === "node" ? `node ${nodeScript(p.pid)}` : p.comm.replace(/^kworker\/.*/, "kworker");
    byCommand.set(label, (byCommand.get(label) ?? 0) + p.cpuMs);
  }
  return byCommand;
}

/** What a node process runs, from its command line: "wrangler", "upstash/main.ts", ... */
function nodeScript(pid: number): string {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return "?";
  }
  const script = args.slice(1).find((a) => /\.(m?[jt]s)$/.test(a) || a.endsWith("wrangler"));
  if (script === undefined) return "?";
  if (script.includes("wrangler")) return "wrangler";
  return script.split("/").slice(-2).join("/");
}

function processCpu(): { pid: number; comm: string; pgid: number; cpuMs: number }[] {
  const out: { pid: number; comm: string; pgid: number; cpuMs: number }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ... utime(14) stime(15); comm may hold spaces, so split after ")".
    const close = stat.lastIndexOf(")");
    const name = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    out.push({ pid: Number(entry), comm: name, pgid: Number(fields[2]), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND });
  }
  return out;
}
