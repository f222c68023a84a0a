/**
 * Runs commands for the three REST routes and turns driver results into
 * outcomes: Redis error replies become `{ error }` outcomes, a failing
 * connection becomes a 503 for the whole request.
 */
import { placeCommand } from "./command-policy.ts";
import type { Command } from "./commands.ts";
import { EndpointError, redisUnavailable } from "./errors.ts";
import { isReplyError, type RedisLink } from "./redis-link.ts";
import { outcomeOf, toReply, type Outcome } from "./reply.ts";

export interface Executor {
  single(command: Command, signal: AbortSignal): Promise<Outcome>;
  /** Each command independent; results in request order. */
  pipeline(commands: readonly Command[], signal: AbortSignal): Promise<Outcome[]>;
  /** Atomic; a command that fails at run time fails in its own slot only (EXEC semantics). */
  transaction(commands: readonly Command[]): Promise<Outcome[]>;
}

class RefusedCommand extends Error {}

function settle(result: PromiseSettledResult<unknown>): Outcome {
  if (result.status === "fulfilled") return outcomeOf(toReply(result.value));
  if (result.reason instanceof RefusedCommand || isReplyError(result.reason)) {
    return { ok: false, error: result.reason.message };
  }
  if (result.reason instanceof EndpointError) throw result.reason;
  throw redisUnavailable(result.reason);
}

/** Redis discards the whole transaction when a command cannot even be queued; so does the endpoint. */
function discarded(message: string): EndpointError {
  return new EndpointError("bad_request", message);
}

export function createExecutor(link: RedisLink): Executor {
  function run(command: Command, signal: AbortSignal): Promise<unknown> {
    const placement = placeCommand(command);
    if (placement.kind === "refused") return Promise.reject(new RefusedCommand(placement.message));
    return placement.kind === "dedicated" ? link.sendDedicated(command, signal) : link.send(command);
  }

  async function pipeline(commands: readonly Command[], signal: AbortSignal): Promise<Outcome[]> {
    const settled = await Promise.allSettled(commands.map((command) => run(command, signal)));
    return settled.map(settle);
  }

  return {
    async single(command, signal) {
      const [outcome] = await pipeline([command], signal);
      return outcome as Outcome;
    },

    pipeline,

    async transaction(commands) {
      commands.forEach((command, i) => {
        const placement = placeCommand(command);
        if (placement.kind === "refused") throw discarded(`${placement.message} (command ${i + 1})`);
      });
      const { queued, exec } = await link.transaction(commands);
      const queuedOutcomes = queued.map(settle);
      const execOutcome = settle(exec);
      if (!execOutcome.ok) {
        const failed = queuedOutcomes.findIndex((outcome) => !outcome.ok);
        const cause = queuedOutcomes[failed];
        throw discarded(cause && !cause.ok ? `${execOutcome.error} (command ${failed}: ${cause.error})` : execOutcome.error);
      }
      const replies = execOutcome.reply;
      if (!Array.isArray(replies) || replies.length !== commands.length) {
        throw discarded("EXECABORT the transaction was not executed");
      }
      return replies.map(outcomeOf);
    },
  };
}
