/**
 * A counting pass-through in front of the local ClickHouse endpoint, for the delivery
 * bench: the Worker's CLICKHOUSE_URL points here, every request is forwarded unchanged,
 * and each INSERT (the `query` URL parameter @clickhouse/client-web sends) is counted,
 * so "inserts per second under load" is what ClickHouse received, not what we think
 * the sink sent. The local endpoint keeps no query log to read it from.
 */
import { createServer, request, type Server } from "node:http";
import { once } from "node:events";

export interface InsertCounter {
  url: string;
  /** INSERT requests forwarded so far. */
  inserts(): number;
  close(): Promise<void>;
}

/** Listens on a free loopback port. */
export async function startInsertCounter(upstream: string): Promise<InsertCounter> {
  const target = new URL(upstream);
  let inserts = 0;
  const server: Server = createServer((req, res) => {
    const query = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
    if (/^\s*insert\b/i.test(query)) inserts++;
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("insert counter: no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    inserts: () => inserts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
