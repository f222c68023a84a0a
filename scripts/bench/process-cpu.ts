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
  let ticks = 0;
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
    if (name !== comm || Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
