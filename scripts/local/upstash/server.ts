/**
 * A local stand-in for Upstash Redis: the Upstash REST protocol served over a
 * real redis-server, so the unmodified `@upstash/redis` client runs against it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tokenChecker } from "./auth.ts";
import { EndpointError } from "./errors.ts";
import { createExecutor } from "./executor.ts";
import { createRequestHandler } from "./handler.ts";
import { connectRedisLink, type LinkEvent } from "./redis-link.ts";

export interface UpstashEndpointOptions {
  /** 0 picks a free port. */
  port: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  redisUrl: string;
  /** The bearer token clients must present (`UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
  /** Largest request body accepted; defaults to 64 MiB. */
  maxBodyBytes?: number;
  /** Receives one line per notable event (Redis lost or restored, internal errors). */
  log?: (line: string) => void;
}

export interface UpstashEndpoint {
  port: number;
  /** The `UPSTASH_REDIS_REST_URL` to give clients. */
  url: string;
  /** Stops accepting requests, lets in-flight ones finish, then closes Redis. Safe to call twice. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** How long close() waits for in-flight requests before cutting their connections. */
const CLOSE_GRACE_MS = 2_000;

function describeLinkEvent(event: LinkEvent): string {
  return event.kind === "lost"
    ? `redis connection lost (${event.reason}); answering 503 until it is back`
    : "redis connection restored";
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const cutoff = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(cutoff);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Starts the endpoint; resolves once it listens and Redis is connected.
 * Rejects when Redis cannot be reached or the port is taken.
 *
 * @example
 * const endpoint = await startUpstashEndpoint({ port: 0, redisUrl: "redis://127.0.0.1:6379", token: "t" });
 * const redis = new Redis({ url: endpoint.url, token: "t" }); // from @upstash/redis
 * await endpoint.close();
 */
export async function startUpstashEndpoint(options: UpstashEndpointOptions): Promise<UpstashEndpoint> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const isAuthorized = tokenChecker(options.token);
  const link = await connectRedisLink(options.redisUrl, (event) => log(describeLinkEvent(event)));
  const shutdown = new AbortController();
  const server = createServer(
    createRequestHandler({
      executor: createExecutor(link),
      isAuthorized,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      shutdown: shutdown.signal,
      onInternalError: (error) => log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    }),
  );

  let port: number;
  try {
    port = await listen(server, options.port, host);
  } catch (error) {
    await link.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= (async () => {
        shutdown.abort(new EndpointError("shutting_down", "ERR the endpoint is shutting down"));
        await closeServer(server);
        await link.close();
      })();
      return closing;
    },
  };
}
