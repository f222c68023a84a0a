/**
 * The recovery part of the ws benchmark: clients that drop their socket abruptly
 * (terminate, no close handshake) and come back with their id, resume key and claim,
 * while a publisher sends at a fixed rate. Every client checks what it got: each
 * publisher message once, in order, none missing from its first message on; the time
 * from reconnect to the room's `recovered` marker; and, for clients away longer than
 * the room's history holds, that the room says `reset` instead of leaving a hole.
 *
 * Reconnect to caught up is timed from the new socket's creation to the `recovered`
 * marker, in the message handler. The room sends hello, the replay and `recovered`
 * before it answers the upgrade, so they often arrive in the same read as the 101 and
 * their handlers run before an awaited `open` resumes: a clock started there read
 * the previous socket's start (its up time plus the time away) for about half the
 * reconnects, which is where the 1.9 s p99 measured before came from.
 */
import WebSocket from "ws";
import { decodeFrame } from "../../shared/batching/wire.ts";
import { signRoomToken } from "../../shared/rooms/token.ts";
import { quantile } from "./ws-load.ts";

interface Message {
  type: string;
  id?: number;
  count?: number;
  data?: { i?: number };
  resumeKey?: string;
  recovery?: string;
}

/** One reconnect, in ms from the new socket's creation. */
export interface ReconnectTiming {
  /** To the 101 (`open`): TCP connect, wrangler dev's proxy, the Worker's token check, the room's connect and replay. */
  openMs: number;
  /** To the room's `recovered` marker: reconnect to caught up. */
  recoveredMs: number;
  /** Messages the room replayed. */
  replayed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One client that keeps its connection id, resume key and position across sockets. */
export class RecoveringClient {
  private ws: WebSocket | undefined;
  private key: string | undefined;
  private lastSeq = 0;
  private lastId = 0;
  private startedAt = 0;
  private openMs = 0;
  readonly seen: number[] = [];
  readonly timings: ReconnectTiming[] = [];
  resets = 0;
  recoveries = 0;
  frameSeqErrors = 0;

  constructor(
    private readonly host: string,
    private readonly secret: string,
    private readonly room: string,
    readonly id: string,
  ) {}

  async connect(): Promise<void> {
    const token = await signRoomToken(this.secret, { party: "main", room: this.room, ttlSeconds: 600 });
    const resume = this.key === undefined ? "" : `&key=${this.key}&resume=${this.lastSeq}.${this.lastId}`;
    this.startedAt = performance.now();
    const ws = new WebSocket(`ws://${this.host}/parties/main/${this.room}?_pk=${this.id}&token=${encodeURIComponent(token)}${resume}`, { perMessageDeflate: false });
    this.ws = ws;
    ws.on("message", (raw) => this.read(String(raw)));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => {
        this.openMs = performance.now() - this.startedAt;
        resolve();
      });
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`room refused the connection: ${res.statusCode}`)));
    });
  }

  /** Drop the socket without a close handshake (a lost network). */
  drop(): void {
    this.ws?.removeAllListeners("message");
    this.ws?.terminate();
    this.ws = undefined;
  }

  get connected(): boolean {
    return this.ws !== undefined;
  }

  private read(text: string): void {
    const frame = decodeFrame(text);
    // A reset renumbers from 1; anything else must continue exactly where the last frame ended.
    const first = frame.messages[0] as Message;
    const reset = first.type === "hello" && first.recovery === "reset";
    if (!reset && frame.seq !== this.lastSeq + 1) this.frameSeqErrors += 1;
    this.lastSeq = frame.seq + frame.messages.length - 1;
    for (const message of frame.messages as Message[]) {
      if (message.type === "hello") {
        this.key = message.resumeKey;
        if (message.recovery === "reset") this.resets += 1;
      } else if (message.type === "recovered") {
        this.recoveries += 1;
        this.timings.push({ openMs: this.openMs, recoveredMs: performance.now() - this.startedAt, replayed: message.count ?? 0 });
      } else if (message.type === "message" && typeof message.data?.i === "number") {
        this.seen.push(message.data.i);
        if (typeof message.id === "number") this.lastId = message.id;
      }
    }
  }
}

/**
 * A WebSocket publisher at a fixed rate. `stop` returns how many it sent and, if its
 * own socket closed under it, after how many (everything from there on never reached
 * the room: counted as lost, and this says why).
 */
export async function startPublisher(host: string, secret: string, room: string, rate: number): Promise<{ stop(): Promise<{ sent: number; closedAt: number | undefined }> }> {
  const token = await signRoomToken(secret, { party: "main", room, ttlSeconds: 600 });
  const ws = new WebSocket(`ws://${host}/parties/main/${room}?_pk=publisher&token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let sent = 0;
  let closedAt: number | undefined;
  ws.once("close", () => (closedAt = sent));
  let running = true;
  const start = performance.now();
  const loop = (async () => {
    while (running) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (sent < due) ws.send(JSON.stringify({ type: "message", data: { i: sent++ } }));
      await sleep(2);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      ws.close();
      return { sent, closedAt };
    },
  };
}

export interface RecoveryFigures {
  disconnects: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  seqErrors: number;
  resets: number;
  recoveryP50: number;
  recoveryP99: number;
  timings: ReconnectTiming[];
  /** Messages the publisher had sent when its socket closed before the end, if it did. */
  publisherClosedAt: number | undefined;
}

/** Check each client's messages against what was published from its first message on. */
export function account(clients: RecoveringClient[], published: number): Pick<RecoveryFigures, "lost" | "duplicated" | "outOfOrder" | "seqErrors"> {
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let seqErrors = 0;
  for (const client of clients) {
    seqErrors += client.frameSeqErrors;
    const first = client.seen[0];
    if (first === undefined) continue;
    const counts = new Map<number, number>();
    let max = -1;
    for (const i of client.seen) {
      counts.set(i, (counts.get(i) ?? 0) + 1);
      if (counts.get(i)! > 1) duplicated += 1;
      else if (i < max) outOfOrder += 1;
      max = Math.max(max, i);
    }
    for (let i = first; i < published; i++) if (!counts.has(i)) lost += 1;
  }
  return { lost, duplicated, outOfOrder, seqErrors };
}

/**
 * Wait until every client has the last published message, or nothing has arrived for
 * 5 s (at most 60 s), then count: a fixed 1.5 s pause (before) counted anything a
 * room on a loaded machine had not delivered yet as lost.
 */
async function drained(clients: RecoveringClient[], published: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  let seen = -1;
  let quietSince = performance.now();
  for (;;) {
    await sleep(500);
    const total = clients.reduce((n, c) => n + c.seen.length, 0);
    if (clients.every((c) => c.seen.at(-1) === published - 1)) return;
    if (total !== seen) {
      seen = total;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= 5_000) return;
    if (performance.now() > deadline) return;
  }
}

/**
 * `clients` clients each drop and come back (away `awayMs` random in its range) until
 * `disconnects` drops happened in all, under a publisher at `rate` msg/s.
 */
export async function runRecovery(o: { host: string; secret: string; room: string; rate: number; clients: number; disconnects: number; awayMs: [number, number]; upMs: [number, number] }): Promise<RecoveryFigures> {
  const clients = Array.from({ length: o.clients }, (_, i) => new RecoveringClient(o.host, o.secret, o.room, `r${i}`));
  await Promise.all(clients.map((c) => c.connect()));
  const publisher = await startPublisher(o.host, o.secret, o.room, o.rate);
  let drops = 0;
  const between = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo);
  await Promise.all(
    clients.map(async (client) => {
      while (drops < o.disconnects) {
        await sleep(between(o.upMs));
        if (drops >= o.disconnects) break;
        drops += 1;
        client.drop();
        await sleep(between(o.awayMs));
        await client.connect();
      }
    }),
  );
  await sleep(500);
  const { sent: published, closedAt } = await publisher.stop();
  await drained(clients, published);
  for (const client of clients) client.drop();
  const timings = clients.flatMap((c) => c.timings);
  const recoveryMs = timings.map((t) => t.recoveredMs);
  return {
    disconnects: drops,
    ...account(clients, published),
    resets: clients.reduce((n, c) => n + c.resets, 0),
    recoveryP50: quantile(recoveryMs, 0.5),
    recoveryP99: quantile(recoveryMs, 0.99),
    timings,
    publisherClosedAt: closedAt,
  };
}

/** `count` clients drop at once and stay away until the publisher has pushed their position out of the history. */
export async function runLongAway(o: { host: string; secret: string; room: string; rate: number; count: number; awayMs: number }): Promise<{ resets: number; recoveries: number }> {
  const clients = Array.from({ length: o.count }, (_, i) => new RecoveringClient(o.host, o.secret, o.room, `long${i}`));
  await Promise.all(clients.map((c) => c.connect()));
  const publisher = await startPublisher(o.host, o.secret, o.room, o.rate);
  await sleep(500);
  for (const client of clients) client.drop();
  await sleep(o.awayMs);
  await Promise.all(clients.map((c) => c.connect()));
  await sleep(1000);
  await publisher.stop();
  for (const client of clients) client.drop();
  return { resets: clients.reduce((n, c) => n + c.resets, 0), recoveries: clients.reduce((n, c) => n + c.recoveries, 0) };
}
