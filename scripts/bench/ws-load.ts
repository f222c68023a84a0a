/**
 * The load of the ws benchmark: N bare `ws` receivers that count frames and measure
 * publish-to-receive latency, and one publisher that sends through the room at a
 * fixed rate or as fast as it can. Everything in this process shares one clock
 * (performance.now), so latency needs no clock sync.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { decodeFrame } from "../../shared/batching/wire.ts";
import { signRoomToken } from "../../shared/rooms/token.ts";

export interface Receiver {
  ws: WebSocket;
  frames: number;
  messages: number;
  latencies: number[];
  priorityLatencies: number[];
  lastAt: number;
}

interface BenchData {
  i: number;
  t: number;
  p?: 1;
}

async function openSocket(host: string, secret: string, room: string): Promise<WebSocket> {
  const id = randomUUID();
  const token = await signRoomToken(secret, { party: "main", room, ttlSeconds: 600 });
  const ws = new WebSocket(`ws://${host}/parties/main/${room}?_pk=${id}&token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`room refused the connection: ${res.statusCode}`)));
  });
  return ws;
}

export async function openReceivers(host: string, secret: string, room: string, count: number): Promise<Receiver[]> {
  const receivers: Receiver[] = [];
  for (let i = 0; i < count; i++) {
    const receiver: Receiver = { ws: await openSocket(host, secret, room), frames: 0, messages: 0, latencies: [], priorityLatencies: [], lastAt: 0 };
    receiver.ws.on("message", (raw) => {
      const now = performance.now();
      const frame = decodeFrame(String(raw));
      let counted = false;
      for (const message of frame.messages as { type: string; data?: BenchData }[]) {
        if (message.type !== "message" || message.data === undefined) continue;
        counted = true;
        receiver.messages += 1;
        (message.data.p ? receiver.priorityLatencies : receiver.latencies).push(now - message.data.t);
      }
      if (counted) {
        receiver.frames += 1;
        receiver.lastAt = now;
      }
    });
    receivers.push(receiver);
  }
  return receivers;
}

export interface Publisher {
  ws: WebSocket;
  sent: number;
  send(priority: boolean): void;
}

export async function openPublisher(host: string, secret: string, room: string): Promise<Publisher> {
  const ws = await openSocket(host, secret, room);
  const publisher: Publisher = {
    ws,
    sent: 0,
    send(priority) {
      const data: BenchData = { i: publisher.sent, t: performance.now(), ...(priority ? { p: 1 as const } : {}) };
      ws.send(JSON.stringify({ type: "message", data, ...(priority ? { priority: 3 } : {}) }));
      publisher.sent += 1;
    },
  };
  return publisher;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `rate` messages per second for `seconds`, every `priorityEvery`-th one a priority message. */
export async function publishAtRate(publisher: Publisher, rate: number, seconds: number, priorityEvery: number): Promise<void> {
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (publisher.sent < due) publisher.send((publisher.sent + 1) % priorityEvery === 0);
    await sleep(2);
  }
}

/** Send `count` messages as fast as the socket takes them. */
export async function publishBurst(publisher: Publisher, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    publisher.send(false);
    // Yield now and then so receivers in this process keep reading.
    if (i % 200 === 199) await sleep(0);
  }
}

/** Wait until every receiver has `expected` messages, or no progress for `idleMs`. */
export async function settle(receivers: Receiver[], expected: number, idleMs = 3000, maxMs = 60_000): Promise<void> {
  const started = performance.now();
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const total = receivers.reduce((n, r) => n + r.messages, 0);
    if (total >= expected * receivers.length) return;
    if (total !== last) {
      last = total;
      lastChange = performance.now();
    }
    if (performance.now() - lastChange > idleMs || performance.now() - started > maxMs) return;
    await sleep(20);
  }
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2000);
          ws.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close();
        }),
    ),
  );
}
