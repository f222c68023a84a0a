/**
 * The scale part of the ws benchmark: how many idle connections one room holds in
 * `wrangler dev` here with every one still receiving a broadcast, and what each costs
 * in memory (resident memory of the dev server's processes before and after, divided
 * by the connections).
 *
 * File descriptors are the limit here, not the room: wrangler dev's proxy holds about
 * four per proxied WebSocket, so under this machine's 20,000 limit its workerd failed
 * connects past ~4,900 ("dup(): Too many open files"; the socket opened and was
 * closed 1006 before the room greeted it), and this container's hard limit cannot be
 * raised. So the same run is made twice: through wrangler dev's URL (the proxy, as a
 * client of `npm run dev` connects), and to the workerd that runs the rooms behind it
 * (runtimeHost: the room, minus the dev-only proxy hop production does not have).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import WebSocket from "ws";
import { signRoomToken } from "../../shared/rooms/token.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `pid` and all its descendants. */
function treePids(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we read
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Resident memory (KiB) of `pid` and all its descendants. */
export function treeRssKiB(pid: number): number {
  let total = 0;
  for (const p of treePids(pid)) {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return total;
}

/** Open file descriptors of the busiest process in `pid`'s tree. */
function treeMaxFds(pid: number): number {
  let max = 0;
  for (const p of treePids(pid)) {
    try {
      max = Math.max(max, readdirSync(`/proc/${p}/fd`).length);
    } catch {
      // gone
    }
  }
  return max;
}

/** This process's open-file limit (soft); the dev server inherits it. */
export function fileLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

/**
 * The loopback ports `pid`'s tree listens on (from /proc/net/tcp, matched to the
 * processes' socket descriptors).
 */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const p of treePids(pid)) {
    try {
      for (const fd of readdirSync(`/proc/${p}/fd`)) {
        const target = readlinkSync(`/proc/${p}/fd/${fd}`, { encoding: "utf8" });
        if (target.startsWith("socket:[")) inodes.add(target.slice(8, -1));
      }
    } catch {
      // gone
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    // local address 0100007F:PORT, state 0A = LISTEN, inode in column 10
    if (cols.length > 9 && cols[3] === "0A" && cols[1]!.startsWith("0100007F:") && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.slice(9), 16));
  }
  return ports;
}

/**
 * The host of the workerd that runs the Worker and its rooms inside `wrangler dev`,
 * behind wrangler's proxy (which listens on `publicPort`): the one other loopback
 * listener of the dev server that serves the rooms' health route.
 */
export async function runtimeHost(serverPid: number, publicPort: number): Promise<string> {
  for (const port of listeningPorts(serverPid)) {
    if (port === publicPort) continue;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/parties/main/health`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 200 && ((await res.json()) as { status?: string }).status === "ok") return `127.0.0.1:${port}`;
    } catch {
      // not it
    }
  }
  throw new Error("no listener of the dev server serves the rooms besides its proxy");
}

export interface ScaleFigures {
  opened: number;
  /** Sockets the room said hello on. */
  greeted: number;
  received: number;
  /** Open file descriptors of the dev server's busiest process with every connection open. */
  serverFdsMax: number;
  memoryPerConnectionKiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
}

/**
 * origin: where the broadcast is posted. Through wrangler dev's proxy it is the runtime's own
 * address: with every descriptor the proxy may open held by the sockets under test, a new HTTP
 * connection to it fails, and the broadcast is how they are checked, not what is measured.
 */
export async function runScale(o: { host: string; origin: string; secret: string; room: string; connections: number; serverPid: number }): Promise<ScaleFigures> {
  const token = await signRoomToken(o.secret, { party: "main", room: o.room, ttlSeconds: 3600 });
  const before = treeRssKiB(o.serverPid);
  const sockets: WebSocket[] = [];
  const got = new Set<number>();
  const greeted = new Set<number>();
  const open = (i: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://${o.host}/parties/main/${o.room}?_pk=s${i}&token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
      ws.on("message", (raw) => {
        const text = String(raw);
        if (text.includes('"type":"hello"')) greeted.add(i);
        if (text.includes('"name":"broadcast"')) got.add(i);
      });
      ws.once("open", () => {
        sockets.push(ws);
        resolve();
      });
      ws.once("error", () => resolve());
      ws.once("unexpected-response", () => resolve());
    });
  for (let i = 0; i < o.connections; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, o.connections - i) }, (_, k) => open(i + k)));
  }
  await sleep(2000);
  const after = treeRssKiB(o.serverPid);
  const serverFdsMax = treeMaxFds(o.serverPid);
  const res = await fetch(`${o.origin}/parties/main/${o.room}`, {
    method: "POST",
    headers: { authorization: `Bearer ${o.secret}`, "content-type": "application/json" },
    body: JSON.stringify({ event: { name: "broadcast", data: 1 } }),
  });
  if (res.status !== 202) throw new Error(`broadcast answered ${res.status}`);
  const deadline = Date.now() + 60_000;
  while (got.size < sockets.length && Date.now() < deadline) await sleep(100);
  for (const ws of sockets) ws.terminate();
  return {
    opened: sockets.length,
    greeted: greeted.size,
    received: got.size,
    serverFdsMax,
    memoryPerConnectionKiB: sockets.length === 0 ? 0 : (after - before) / sockets.length,
    rssBeforeMiB: before / 1024,
    rssAfterMiB: after / 1024,
  };
}
