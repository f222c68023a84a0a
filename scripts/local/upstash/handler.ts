/**
 * The HTTP side of the endpoint: authenticates, routes, and writes Upstash
 * REST replies.
 *
 * Routes: `POST /` one command, `POST /pipeline` independent commands,
 * `POST /multi-exec` a transaction; any other path is a command spelled as
 * path segments (`GET /get/key`, or `POST /set/key` with the value as body).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerToken } from "./auth.ts";
import { readBody } from "./body.ts";
import { commandFromPath, parseCommand, parseCommandList, parseJson, type Command } from "./commands.ts";
import { errorJson, outcomeJson, outcomesJson, type EncodeOptions } from "./encoding.ts";
import { EndpointError } from "./errors.ts";
import type { Executor } from "./executor.ts";

export interface HandlerOptions {
  executor: Executor;
  isAuthorized: (token: string | undefined) => boolean;
  maxBodyBytes: number;
  /** Aborts blocking commands still waiting when the endpoint shuts down. */
  shutdown: AbortSignal;
  onInternalError: (error: unknown) => void;
}

interface Reply {
  status: number;
  body: string;
}

const EMPTY = Buffer.alloc(0);

function requirePost(req: IncomingMessage, path: string): void {
  if (req.method !== "POST") {
    throw new EndpointError("method_not_allowed", `ERR ${path} accepts POST only, got ${req.method ?? "no method"}`);
  }
}

function splitUrl(raw: string): { path: string; query: URLSearchParams } {
  const at = raw.indexOf("?");
  return at === -1
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, at), query: new URLSearchParams(raw.slice(at + 1)) };
}

/** Aborts when the client goes away before the answer is written, or the endpoint shuts down. */
function requestSignal(res: ServerResponse, shutdown: AbortSignal): AbortSignal {
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  return AbortSignal.any([gone.signal, shutdown]);
}

export function createRequestHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { executor, isAuthorized, maxBodyBytes } = options;

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<Reply> {
    const { path, query } = splitUrl(req.url ?? "/");
    // Upstash also takes the token as `?_token=`, which is handy for GET commands from a browser.
    const token = bearerToken(req.headers.authorization) ?? query.get("_token") ?? undefined;
    if (!isAuthorized(token)) throw new EndpointError("unauthorized", "Unauthorized");

    const encoding: EncodeOptions = { base64: String(req.headers["upstash-encoding"]).toLowerCase() === "base64" };
    const signal = requestSignal(res, options.shutdown);

    switch (path) {
      case "/pipeline":
      case "/multi-exec": {
        requirePost(req, path);
        const commands = parseCommandList(parseJson(await readBody(req, maxBodyBytes)));
        const outcomes =
          path === "/pipeline" ? await executor.pipeline(commands, signal) : await executor.transaction(commands);
        return { status: 200, body: outcomesJson(outcomes, encoding) };
      }
      default: {
        let command: Command;
        if (path === "/") {
          requirePost(req, path);
          command = parseCommand(parseJson(await readBody(req, maxBodyBytes)));
        } else {
          if (req.method !== "GET" && req.method !== "POST") requirePost(req, path);
          command = commandFromPath(path, req.method === "POST" ? await readBody(req, maxBodyBytes) : EMPTY);
        }
        const outcome = await executor.single(command, signal);
        return { status: outcome.ok ? 200 : 400, body: outcomeJson(outcome, encoding) };
      }
    }
  }

  function write(res: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(reply.status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(reply.body),
      // During shutdown a kept-alive connection would hold the server open until the grace period ends.
      ...(options.shutdown.aborted ? { connection: "close" } : {}),
      ...extraHeaders,
    });
    res.end(reply.body);
  }

  return (req, res) => {
    answer(req, res).then(
      (reply) => write(res, reply),
      (error: unknown) => {
        if (error instanceof EndpointError) {
          // An oversized body is left unread; closing stops the client from sending the rest.
          const headers: Record<string, string> = error.code === "payload_too_large" ? { connection: "close" } : {};
          write(res, { status: error.status, body: errorJson(error.message) }, headers);
          return;
        }
        options.onInternalError(error);
        write(res, { status: 500, body: errorJson(`ERR internal error: ${(error as Error)?.message ?? String(error)}`) });
      },
    );
  };
}
