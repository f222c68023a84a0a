/**
 * Which Postgres addresses the local Neon endpoint may reach. It is a development
 * tool: both the WebSocket relay and /sql only forward to this machine, so a
 * listening endpoint can never be used as an open proxy.
 */
export const LOCAL_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "::1"]);

export interface HostPort {
  host: string;
  port: number;
}

/** Hosts may arrive bracketed ("[::1]") from URLs; compare them bare. */
export function bareHost(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export function isLocalHost(host: string): boolean {
  return LOCAL_HOSTS.has(bareHost(host).toLowerCase());
}

/**
 * Parses the relay's `address` parameter, `host:port`. The client builds it by plain
 * concatenation, so an IPv6 host may come unbracketed ("::1:5432"): the port is
 * whatever follows the last colon.
 */
export function parseAddress(raw: string): HostPort | Error {
  const colon = raw.lastIndexOf(":");
  if (colon <= 0) return new Error(`address must be host:port, got "${raw}"`);
  const host = bareHost(raw.slice(0, colon));
  const portText = raw.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    return new Error(`address has an invalid port: "${raw}"`);
  }
  return { host, port };
}
