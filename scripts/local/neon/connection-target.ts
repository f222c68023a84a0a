/**
 * Turns the `Neon-Connection-String` header into the connection string the endpoint
 * gives `pg`, refusing anything that is not a Postgres on this machine.
 */
import { EndpointError } from "./endpoint-error.ts";
import { bareHost, isLocalHost, type HostPort } from "./local-address.ts";

const DEFAULT_PG_PORT = 5432;

/**
 * In Neon TLS ends at the proxy and the hop to Postgres is private, so TLS settings
 * in the client's URL (Neon URLs carry sslmode=require) say nothing about that hop;
 * passing them on would make pg demand TLS from a local server that has none.
 */
const TLS_PARAMS = ["sslmode", "ssl", "sslcert", "sslkey", "sslrootcert", "sslnegotiation", "channel_binding"];

export interface ConnectionTarget extends HostPort {
  /** Also the key of the pool that serves it. */
  connectionString: string;
}

export function connectionTarget(header: string | undefined): ConnectionTarget {
  if (header === undefined || header === "") {
    throw new EndpointError(400, "missing Neon-Connection-String header");
  }
  let url: URL;
  try {
    url = new URL(header);
  } catch {
    throw new EndpointError(400, "Neon-Connection-String is not a valid URL");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new EndpointError(400, "Neon-Connection-String must be a postgres:// or postgresql:// URL");
  }
  if (!isLocalHost(url.hostname)) {
    throw new EndpointError(
      400,
      `host not allowed: ${url.hostname} (local endpoint only reaches 127.0.0.1, localhost, ::1)`,
    );
  }
  for (const name of TLS_PARAMS) url.searchParams.delete(name);
  return {
    connectionString: url.href,
    host: bareHost(url.hostname),
    port: url.port === "" ? DEFAULT_PG_PORT : Number(url.port),
  };
}
