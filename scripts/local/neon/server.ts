/**
 * A local stand-in for Neon's proxy over a real Postgres, so the unmodified
 * `@neondatabase/serverless` client runs against this machine: WebSocket upgrades on
 * `/v2` (Pool, Client) and `POST /sql` (`neon()`, `sql.transaction()`) on one port.
 *
 * @example
 * const endpoint = await startNeonEndpoint({ port: 0 });
 * configureNeonForLocalEndpoint(neonConfig, `127.0.0.1:${endpoint.port}`);
 * // ... neon(DATABASE_URL)`SELECT 1` ...
 * await endpoint.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PgPools } from "./pg-pools.ts";
import { createSqlHandler, sendJson, SQL_PATH } from "./sql-handler.ts";
import { createWebSocketRelay, RELAY_PATH } from "./ws-relay.ts";

export interface NeonEndpointOptions {
  /** 0 picks a free port. */
  port: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Added to every /sql request and every WebSocket connection setup (simulated distance). */
  delayMs?: number;
  /** Also delay every Postgres-to-client WebSocket message by delayMs (one delay per round trip). */
  delayWebSocketMessages?: boolean;
}

export interface NeonEndpoint {
  port: number;
  /** Stops listening and ends every socket, WebSocket and pool. */
  close(): Promise<void>;
}

export async function startNeonEndpoint(options: NeonEndpointOptions): Promise<NeonEndpoint> {
  const delayMs = options.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`delayMs must be >= 0, got ${delayMs}`);

  const pools = new PgPools();
  const handleSql = createSqlHandler({ pools, delayMs });
  const relay = createWebSocketRelay({ delayMs, delayMessages: options.delayWebSocketMessages ?? false });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? "/", "http://endpoint.invalid");
    if (pathname !== SQL_PATH) {
      sendJson(res, 404, { message: `not found: ${pathname} (serves POST ${SQL_PATH} and WebSocket ${RELAY_PATH})` });
    } else if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      sendJson(res, 405, { message: `${SQL_PATH} accepts POST only` });
    } else {
      void handleSql(req, res);
    }
  });
  server.on("upgrade", (req, socket, head) => relay.handleUpgrade(req, socket, head));
  server.on("clientError", (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        relay.close();
        server.closeAllConnections();
        await Promise.all([stopped, pools.closeAll()]);
      })();
      return closing;
    },
  };
}
