/**
 * Which commands may run on the shared Redis connection.
 *
 * Every HTTP request shares one pipelined connection, so a command that changes
 * that connection's state (MULTI, SELECT, SUBSCRIBE, ...) would leak into other
 * requests and is refused. A blocking command would stall every request queued
 * behind it, so it gets a connection of its own.
 */
import type { Command } from "./commands.ts";

export type CommandPlacement =
  | { kind: "shared" }
  | { kind: "dedicated" }
  | { kind: "refused"; message: string };

const CONNECTION_STATE: Record<string, string> = {
  MULTI: "use POST /multi-exec for transactions",
  EXEC: "use POST /multi-exec for transactions",
  DISCARD: "use POST /multi-exec for transactions",
  WATCH: "each request runs on a shared connection",
  UNWATCH: "each request runs on a shared connection",
  SELECT: "the endpoint serves database 0 only",
  SWAPDB: "the endpoint serves database 0 only",
  SUBSCRIBE: "pub/sub is not served by this endpoint",
  PSUBSCRIBE: "pub/sub is not served by this endpoint",
  SSUBSCRIBE: "pub/sub is not served by this endpoint",
  UNSUBSCRIBE: "pub/sub is not served by this endpoint",
  PUNSUBSCRIBE: "pub/sub is not served by this endpoint",
  SUNSUBSCRIBE: "pub/sub is not served by this endpoint",
  MONITOR: "it takes over the connection",
  SYNC: "it takes over the connection",
  PSYNC: "it takes over the connection",
  RESET: "it resets the shared connection",
  QUIT: "it closes the shared connection",
  HELLO: "the endpoint speaks RESP2 only",
  AUTH: "the endpoint authenticates with its own token",
};

const CONNECTION_STATE_CLIENT_SUBCOMMANDS = new Set(["REPLY", "TRACKING", "CACHING"]);

const BLOCKING = new Set([
  "BLPOP",
  "BRPOP",
  "BRPOPLPUSH",
  "BLMOVE",
  "BLMPOP",
  "BZPOPMIN",
  "BZPOPMAX",
  "BZMPOP",
  "WAIT",
  "WAITAOF",
]);

function upper(arg: string | Buffer | undefined): string {
  return arg === undefined ? "" : arg.toString().toUpperCase();
}

function blocksOnStreams(command: Command): boolean {
  for (const arg of command.slice(1)) {
    const word = upper(arg);
    if (word === "STREAMS") return false;
    if (word === "BLOCK") return true;
  }
  return false;
}

export function placeCommand(command: Command): CommandPlacement {
  const name = upper(command[0]);
  const reason = CONNECTION_STATE[name];
  if (reason !== undefined) {
    return { kind: "refused", message: `ERR '${name}' is not supported by the REST endpoint: ${reason}` };
  }
  if (name === "CLIENT" && CONNECTION_STATE_CLIENT_SUBCOMMANDS.has(upper(command[1]))) {
    return {
      kind: "refused",
      message: `ERR 'CLIENT ${upper(command[1])}' is not supported by the REST endpoint: it changes the shared connection`,
    };
  }
  if (BLOCKING.has(name)) return { kind: "dedicated" };
  if ((name === "XREAD" || name === "XREADGROUP") && blocksOnStreams(command)) return { kind: "dedicated" };
  return { kind: "shared" };
}
