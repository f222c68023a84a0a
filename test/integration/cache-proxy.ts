/**
 * A TCP proxy the cache tests control, standing between @upstash/redis and the
 * local Upstash endpoint: "pass" forwards, "blackhole" accepts and never
 * answers (a hung Redis), "delay" holds every chunk for `delayMs`. The shared
 * Redis is never paused or stopped; only this proxy misbehaves.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export type ProxyMode = "pass" | "blackhole" | "delay";

export interface ControlledProxy {
  url: string;
  mode: ProxyMode;
  delayMs: number;
  /** Switches mode and drops open connections, so no request is left half-forwarded. */
  set(mode: ProxyMode): void;
  close(): Promise<void>;
}

export async function startProxy(target: { host: string; port: number }): Promise<ControlledProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const proxy: ControlledProxy = {
    url: "",
    mode: "pass",
    delayMs: 0,
    set(mode) {
      this.mode = mode;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const forward = (from: Socket, to: Socket) =>
    from.on("data", (chunk) => {
      if (proxy.mode === "blackhole") return;
      if (proxy.mode === "delay") setTimeout(() => to.writable && to.write(chunk), proxy.delayMs);
      else to.write(chunk);
    });
  const server: Server = createServer((client) => {
    track(client);
    const upstream = connect(target.port, target.host);
    track(upstream);
    forward(client, upstream);
    forward(upstream, client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP address");
  proxy.url = `http://127.0.0.1:${address.port}`;
  return proxy;
}

/** A loopback port with nothing listening (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
