/**
 * A local ClickHouse HTTP interface over the embedded engine chdb, so the
 * unmodified `@clickhouse/client-web` runs against this machine with real
 * MergeTree tables, materialized views, typed query parameters and errors.
 * Data lives in `dataDir` and survives restarts. One endpoint per process:
 * chdb binds one data directory per process.
 *
 * @example
 * const endpoint = await startClickHouseEndpoint({ port: 0, dataDir: "/tmp/ch" });
 * const client = createClient({ url: endpoint.url, username: "default", password: "" });
 * await client.query({ query: "SELECT 1", format: "JSONEachRow" });
 * await endpoint.close();
 */
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ChdbEngine } from "./engine.ts";
import { ClickHouseHttpError } from "./errors.ts";
import { handleQuery, type QueryHandlerContext } from "./query-handler.ts";
import { sendError, sendText } from "./reply.ts";

export interface ClickHouseEndpointOptions {
  /** 0 picks a free port. */
  port: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** chdb data directory (created if missing); one per process. */
  dataDir: string;
  /** The one user; defaults to "default". */
  user?: string;
  /** Defaults to empty, like a fresh server's `default` user. */
  password?: string;
}

export interface ClickHouseEndpoint {
  port: number;
  /** Base URL for `createClient({ url })`. */
  url: string;
  /** Stops listening, lets running requests finish, then closes the engine. */
  close(): Promise<void>;
}

/** The client puts every setting and parameter in the URL; the server accepts 1 MiB of it, Node 16 KiB by default. */
const MAX_HEADER_BYTES = 1024 * 1024;

export async function startClickHouseEndpoint(options: ClickHouseEndpointOptions): Promise<ClickHouseEndpoint> {
  mkdirSync(options.dataDir, { recursive: true });
  const engine = await ChdbEngine.open(options.dataDir);
  const context: QueryHandlerContext = { engine, user: options.user ?? "default", password: options.password ?? "" };
  const inFlight = new Set<Promise<void>>();

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const done = route(req, res, context).catch((error: unknown) => {
      console.error("clickhouse endpoint: request failed:", error);
      if (!res.headersSent) sendText(res, 500, "internal error\n");
      else res.destroy();
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await engine.close();
    throw error;
  });

  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.allSettled([...inFlight]);
        server.closeAllConnections();
        await stopped;
        await engine.close();
      })();
      return closing;
    },
  };
}

async function route(req: IncomingMessage, res: ServerResponse, context: QueryHandlerContext): Promise<void> {
  const url = requestUrl(req.url);
  const method = req.method ?? "GET";
  if (url === undefined) {
    sendText(res, 400, `Malformed request target ${JSON.stringify(req.url)}\n`);
  } else if (url.pathname === "/ping" || url.pathname === "/replicas_status") {
    sendText(res, 200, "Ok.\n");
  } else if (url.pathname !== "/") {
    sendText(res, 404, `There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`);
  } else if (method === "OPTIONS") {
    res.writeHead(204).end();
  } else if (method !== "GET" && method !== "POST" && method !== "HEAD") {
    res.setHeader("Allow", "GET, POST, HEAD");
    sendError(res, ClickHouseHttpError.of("UNSUPPORTED_METHOD", `HTTP method ${method} is not supported`), undefined, context.engine.version);
  } else if (method !== "POST" && !url.searchParams.has("query")) {
    sendText(res, 200, "Ok.\n");
  } else {
    await handleQuery(req, res, url, context);
  }
}

/** Parsed against a fixed origin by concatenation, so `//host/path` stays a path. */
function requestUrl(target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith("/")) return undefined;
  try {
    return new URL(`http://endpoint.invalid${target}`);
  } catch {
    return undefined;
  }
}
