/**
 * The endpoint's connections to Redis (node-redis, RESP2).
 *
 * One shared connection carries every request; node-redis pipelines
 * concurrent commands on it. Commands are refused at once while it is down
 * (no offline queue), so an outage turns into fast 503s, and it reconnects
 * by itself with a short capped backoff. Blocking commands get a one-off
 * connection that dies with the request.
 */
import { createClient, ErrorReply, RESP_TYPES } from "redis";
import type { Command } from "./commands.ts";

/** Replies as bytes and exact integers; see reply.ts. */
const REPLY_TYPES = {
  [RESP_TYPES.BLOB_STRING]: Buffer,
  [RESP_TYPES.SIMPLE_STRING]: Buffer,
  [RESP_TYPES.NUMBER]: String,
} as const;

const RECONNECT_BASE_MS = 50;
const RECONNECT_MAX_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;

export type LinkEvent = { kind: "lost"; reason: string } | { kind: "restored" };

export interface RedisLink {
  /** Rejects with an error for which {@link isReplyError} holds when Redis answered with an error. */
  send(command: Command): Promise<unknown>;
  /** Runs the command on its own connection, closed when done or when `signal` aborts (rejecting with its reason). */
  sendDedicated(command: Command, signal: AbortSignal): Promise<unknown>;
  /** MULTI, the commands and EXEC, written back to back so nothing interleaves. */
  transaction(commands: readonly Command[]): Promise<TransactionSettlement>;
  close(): Promise<void>;
}

export interface TransactionSettlement {
  /** MULTI's answer, then each command's QUEUED or error. */
  queued: PromiseSettledResult<unknown>[];
  exec: PromiseSettledResult<unknown>;
}

/** True when Redis itself answered with an error, as opposed to the connection failing. */
export function isReplyError(error: unknown): error is Error {
  return error instanceof ErrorReply;
}

type Client = ReturnType<typeof createClient>;

function newClient(url: string, reconnect: boolean, hasBeenReady: () => boolean): Client {
  return createClient({
    url,
    RESP: 2,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Before the first successful connect, give up at once so a wrong URL fails startup loudly.
      reconnectStrategy: (retries, cause) =>
        reconnect && hasBeenReady() ? Math.min(RECONNECT_BASE_MS * 2 ** retries, RECONNECT_MAX_MS) : cause,
    },
  });
}

function describeError(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(describeError).join("; ");
  return error instanceof Error ? error.message || error.name : String(error);
}

async function open(url: string, client: Client): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    const cause = error instanceof Error && "socketError" in error ? error.socketError : error;
    throw new Error(`cannot connect to Redis at ${url}: ${describeError(cause)}`, { cause });
  }
}

function closeClient(client: Client): Promise<void> {
  if (client.isReady) return client.close();
  client.destroy();
  return Promise.resolve();
}

/**
 * Connects to Redis and resolves once the shared connection is ready.
 *
 * @example
 * const link = await connectRedisLink("redis://127.0.0.1:6379", (e) => console.log(e));
 * await link.send(["PING"]); // <Buffer 50 4f 4e 47>
 */
export async function connectRedisLink(url: string, onEvent: (event: LinkEvent) => void = () => {}): Promise<RedisLink> {
  let everReady = false;
  let healthy = false;
  const shared = newClient(url, true, () => everReady);
  shared.on("error", (error: unknown) => {
    if (!healthy) return;
    healthy = false;
    onEvent({ kind: "lost", reason: describeError(error) });
  });
  shared.on("ready", () => {
    if (everReady && !healthy) onEvent({ kind: "restored" });
    everReady = true;
    healthy = true;
  });
  await open(url, shared);

  const dedicated = new Set<Client>();
  const options = { typeMapping: REPLY_TYPES };

  return {
    send: (command) => shared.sendCommand(command, options),

    async sendDedicated(command, signal) {
      const client = newClient(url, false, () => false);
      client.on("error", () => {});
      dedicated.add(client);
      const abort = () => client.destroy();
      signal.addEventListener("abort", abort, { once: true });
      try {
        await open(url, client);
        signal.throwIfAborted();
        return await client.sendCommand(command, options);
      } catch (error) {
        signal.throwIfAborted();
        throw error;
      } finally {
        signal.removeEventListener("abort", abort);
        dedicated.delete(client);
        client.destroy();
      }
    },

    async transaction(commands) {
      const chained = { ...options, chainId: Symbol("multi-exec") };
      const queued = [shared.sendCommand(["MULTI"], chained), ...commands.map((c) => shared.sendCommand(c, chained))];
      const exec = shared.sendCommand(["EXEC"], chained);
      const [settledQueued, [settledExec]] = await Promise.all([Promise.allSettled(queued), Promise.allSettled([exec])]);
      return { queued: settledQueued, exec: settledExec as PromiseSettledResult<unknown> };
    },

    async close() {
      for (const client of dedicated) client.destroy();
      await closeClient(shared);
    },
  };
}
