/**
 * The WebSocket half of the local Neon endpoint: `GET /v2?address=host:port` upgrades
 * to a WebSocket whose binary messages are piped to a TCP connection to that
 * address, the way Neon's proxy carries the Postgres wire protocol for Pool and Client.
 */
import type { IncomingMessage } from "node:http";
import { createConnection, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { isLocalHost, parseAddress, type HostPort } from "./local-address.ts";

export const RELAY_PATH = "/v2";

/** RFC 6455 close codes the relay uses. */
const CLOSE_NORMAL = 1000;
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_INTERNAL_ERROR = 1011;
/** A close frame's reason is limited to 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123;
/** Stop reading from Postgres while this much is queued towards a slow client. */
const SEND_HIGH_WATER_BYTES = 1 << 20;

export interface RelayOptions {
  /** Waited before opening the TCP connection, to simulate a remote database. */
  delayMs: number;
  /** Also hold every Postgres-to-client message for delayMs (one delay per round trip). */
  delayMessages: boolean;
}

export interface WebSocketRelay {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Drops every open WebSocket and TCP connection. */
  close(): void;
}

export function createWebSocketRelay(options: RelayOptions): WebSocketRelay {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const clients = new Set<WebSocket>();
  const upstreams = new Set<Socket>();

  function onConnection(ws: WebSocket, address: string | null): void {
    clients.add(ws);
    ws.on("close", () => clients.delete(ws));
    ws.on("error", () => ws.terminate());

    const target = address === null ? new Error("missing ?address=host:port") : parseAddress(address);
    if (target instanceof Error) {
      ws.close(CLOSE_POLICY_VIOLATION, closeReason(target.message));
      return;
    }
    if (!isLocalHost(target.host)) {
      ws.close(
        CLOSE_POLICY_VIOLATION,
        closeReason(`address not allowed: ${target.host} (local relay only reaches 127.0.0.1, localhost, ::1)`),
      );
      return;
    }
    pipe(ws, target, options, upstreams);
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? "/", "http://relay.invalid");
      if (url.pathname !== RELAY_PATH) {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, url.searchParams.get("address")));
    },
    close() {
      for (const ws of clients) ws.terminate();
      for (const tcp of upstreams) tcp.destroy();
      wss.close();
    },
  };
}

function pipe(ws: WebSocket, target: HostPort, options: RelayOptions, upstreams: Set<Socket>): void {
  let tcp: Socket | undefined;
  // The client starts talking as soon as the WebSocket opens, possibly before the
  // (delayed) TCP connection exists; keep its bytes in order until then.
  const early: Buffer[] = [];
  const towardsClient =
    options.delayMessages && options.delayMs > 0
      ? (send: () => void) => void setTimeout(send, options.delayMs)
      : (send: () => void) => send();

  ws.on("message", (data) => {
    const bytes = toBuffer(data);
    if (tcp === undefined) early.push(bytes);
    else if (!tcp.write(bytes)) ws.pause();
  });
  // Without this the Postgres backend outlives the client and pool.end() never sees it go.
  ws.on("close", () => tcp?.end());

  const open = () => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const socket = createConnection({ host: target.host, port: target.port });
    tcp = socket;
    upstreams.add(socket);
    socket.setNoDelay(true);
    for (const bytes of early.splice(0)) socket.write(bytes);

    socket.on("drain", () => ws.resume());
    socket.on("data", (chunk) =>
      towardsClient(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(chunk, { binary: true }, () => {
          if (socket.isPaused() && ws.bufferedAmount < SEND_HIGH_WATER_BYTES) socket.resume();
        });
        if (ws.bufferedAmount >= SEND_HIGH_WATER_BYTES) socket.pause();
      }),
    );
    let failure: Error | undefined;
    socket.on("error", (err) => {
      failure = err;
    });
    // Closing the WebSocket is how the client learns the backend went away (terminated
    // backend, Terminate message answered); without it client.end() waits forever.
    socket.on("close", () => {
      upstreams.delete(socket);
      towardsClient(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (failure === undefined) ws.close(CLOSE_NORMAL);
        else ws.close(CLOSE_INTERNAL_ERROR, closeReason(`postgres connection failed: ${failure.message}`));
      });
    });
  };

  if (options.delayMs > 0) setTimeout(open, options.delayMs);
  else open();
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > MAX_CLOSE_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}
