/**
 * Shared by the rooms e2e tests: the Worker's host (the `wrangler dev` that `npm test`
 * runs, NETRA_WORKER_URL; the rooms are its Durable Objects), tokens signed with the
 * local secret, and a bare `ws` client that speaks the wire format.
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { localConfig } from "../../scripts/lib/local-config.ts";
import { LOCAL_ROOM_TOKEN_SECRET } from "../../scripts/services/stack.ts";
import { FrameReader, type SeqGap } from "../../shared/batching/wire-reader.ts";
import { signRoomToken } from "../../shared/rooms/token.ts";

export const host = (process.env.NETRA_WORKER_URL ?? `http://127.0.0.1:${localConfig().wrangler.port}`).replace(/^http:\/\//, "");
export const secret = process.env.ROOM_TOKEN_SECRET ?? LOCAL_ROOM_TOKEN_SECRET;
export const httpBase = `http://${host}/parties/main`;

export const uniqueRoom = (label: string) => `e2e-${label}-${randomUUID().slice(0, 8)}`;

export const tokenFor = (room: string, options: { ttlSeconds?: number; connectionId?: string; now?: number; party?: string } = {}) =>
  signRoomToken(secret, { party: options.party ?? "main", room, ttlSeconds: options.ttlSeconds ?? 120, ...options });

export interface Message {
  type: string;
  [key: string]: unknown;
}

/** A bare WebSocket client: raw frames, decoded messages and gaps, in arrival order. */
export class WireClient {
  readonly frames: string[] = [];
  readonly messages: Message[] = [];
  readonly gaps: SeqGap[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly reader: FrameReader,
  ) {
    ws.on("message", (data) => {
      const text = String(data);
      this.frames.push(text);
      const { messages, gaps } = reader.read(text);
      this.gaps.push(...gaps);
      this.messages.push(...messages.map((m) => m.message as Message));
      this.wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  /** Open a socket; by default wait for the room's hello (`greeting: false`: only for the socket to open). */
  static async open(room: string, options: { id?: string; token?: string; reader?: FrameReader; query?: Record<string, string>; greeting?: boolean } = {}): Promise<WireClient> {
    const id = options.id ?? randomUUID();
    const token = options.token ?? (await tokenFor(room));
    const extra = new URLSearchParams(options.query ?? {}).toString();
    const ws = new WebSocket(`ws://${host}/parties/main/${room}?_pk=${id}&token=${encodeURIComponent(token)}${extra ? `&${extra}` : ""}`);
    const client = new WireClient(ws, options.reader ?? new FrameReader());
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    if (options.greeting !== false) await client.until(() => client.messages.some((m) => m.type === "hello"));
    return client;
  }

  get id(): string {
    return String(this.messages.find((m) => m.type === "hello")?.connectionId);
  }

  /** The resume key from the latest hello. */
  get resumeKey(): string {
    return String(this.messages.findLast((m) => m.type === "hello")?.resumeKey);
  }

  /** `<last seq>.<last history id>` as the client helper claims on reconnect. */
  get claim(): string {
    const lastId = this.messages.findLast((m) => typeof m.id === "number")?.id ?? 0;
    return `${this.reader.lastSeq}.${String(lastId)}`;
  }

  send(data: unknown, extra: Record<string, unknown> = {}): void {
    this.ws.send(JSON.stringify({ type: "message", data, ...extra }));
  }

  /** Resolve when `done()` holds; reject after `timeoutMs` (a safety net, not a timing assertion). */
  until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`condition not met within ${timeoutMs} ms; ${this.messages.length} messages, ${this.frames.length} frames`)), timeoutMs);
      const check = () => {
        if (!done()) return this.waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  /**
   * The close the server sent, once its close frame arrived. wrangler dev keeps the TCP
   * connection of a socket the room closed open until the client gives up (ws: 30 s), so
   * the 'close' event comes late; the frame's code is what the room decided.
   */
  async serverClose(timeoutMs = 10_000): Promise<{ code: number }> {
    await eventually(() => this.closed !== undefined || this.ws.readyState === WebSocket.CLOSING, timeoutMs);
    return { code: this.closed?.code ?? (this.ws as unknown as { _closeCode: number })._closeCode };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.ws.terminate();
      return this.until(() => this.closed !== undefined);
    }
    this.ws.close(1000);
    return this.until(() => this.closed !== undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Poll `done` until it holds, for conditions no WireClient event wakes (partysocket clients); rejects after `timeoutMs`. */
export async function eventually(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A WebSocket upgrade the room refused: its HTTP status and problem code. */
export function refusal(url: string): Promise<{ status: number; code: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => {
      ws.close();
      reject(new Error("connection was accepted"));
    });
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += String(chunk)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { code: string }).code }));
    });
    ws.once("error", () => undefined);
  });
}

export async function roomRequest(room: string, init: { method: string; body?: unknown; auth?: string | null }): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.auth !== null) headers.authorization = `Bearer ${init.auth ?? secret}`;
  const res = await fetch(`${httpBase}/${room}`, {
    method: init.method,
    headers,
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A server event to a room over HTTP with the secret (what publishToRoom sends through the binding). */
export async function publish(room: string, event: { name: string; data?: unknown; priority?: number }, to?: string[]): Promise<{ delivered: number; missed: number }> {
  const { status, body } = await roomRequest(room, { method: "POST", body: to === undefined ? { event } : { event, to } });
  if (status !== 202) throw new Error(`publish answered ${status}: ${JSON.stringify(body)}`);
  return body as { delivered: number; missed: number };
}
