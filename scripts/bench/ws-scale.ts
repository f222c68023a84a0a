/**
 * The scale part of the ws benchmark: how many idle connections one room holds in
 * `wrangler dev` here with every one still receiving a broadcast, and what each costs
 * in memory (resident memory of the dev server's processes before and after, divided
 * by the connections).
 */
import { readdirSync, readFileSync } from "node:fs";
import WebSocket from "ws";
import { signRoomToken } from "../../shared/rooms/token.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory (KiB) of `pid` and all its descendants. */
export function treeRssKiB(pid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      rss.set(Number(entry), Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we read
    }
  }
  let total = 0;
  const walk = (p: number) => {
    total += rss.get(p) ?? 0;
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return total;
}

export interface ScaleFigures {
  opened: number;
  received: number;
  memoryPerConnectionKiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
}

export async function runScale(o: { host: string; origin: string; secret: string; room: string; connections: number; serverPid: number }): Promise<ScaleFigures> {
  const token = await signRoomToken(o.secret, { party: "main", room: o.room, ttlSeconds: 3600 });
  const before = treeRssKiB(o.serverPid);
  const sockets: WebSocket[] = [];
  const got = new Set<number>();
  const open = (i: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(`ws://${o.host}/parties/main/${o.room}?_pk=s${i}&token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
      ws.on("message", (raw) => {
        if (String(raw).includes('"name":"broadcast"')) got.add(i);
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
    received: got.size,
    memoryPerConnectionKiB: sockets.length === 0 ? 0 : (after - before) / sockets.length,
    rssBeforeMiB: before / 1024,
    rssAfterMiB: after / 1024,
  };
}
