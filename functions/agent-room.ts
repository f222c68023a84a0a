/**
 * Agent progress, live: after a session's state is created or updated, the API
 * publishes `agent.state` to the session's room (`agent-<sessionId>`, party "main"),
 * so a UI connected there sees the change without polling.
 *
 * The publish goes through the room's Durable Object binding and runs in
 * `ctx.waitUntil`, after the answer: the API never waits for the room and never
 * fails because of it. A room that is down or refuses is counted
 * (agentRoomStats) and logged; the state itself is safe in Postgres, and a client
 * that missed the event re-reads GET /v1/agent-states/{sessionId}.
 */
import type { Context } from "hono";
import type { AgentState } from "../shared/api/schemas/agent-states.ts";
import type { AppConfig } from "../shared/config.ts";
import { publishToRoom, type PublishResult, type RoomTarget } from "../shared/rooms/publish.ts";
import { roomStub, type RoomsEnv } from "../rooms/binding.ts";
import { logError } from "./log.ts";

/** The event name a room client receives (`{type: "event", name, data}`). */
export const AGENT_STATE_EVENT = "agent.state";

export interface AgentStateEventData {
  sessionId: string;
  state: AgentState["state"];
  version: number;
  updatedAt: string;
}

/** The room an agent session's progress is published to. */
export function agentRoom(sessionId: string): string {
  return `agent-${sessionId}`;
}

const counters = { published: 0, failed: 0 };

/** Publishes since the isolate started: `failed` counts rooms that were down, slow or refused. */
export function agentRoomStats(): Readonly<typeof counters> {
  return { ...counters };
}

/**
 * Publish one state change; resolves when the room answered or the attempt failed
 * (never rejects). Undefined result: rooms are not configured (no room binding or
 * ROOM_TOKEN_SECRET), so there is nothing to do.
 */
export async function publishAgentState(config: AppConfig, target: RoomTarget | undefined, state: AgentState): Promise<PublishResult | undefined> {
  const secret = config.rooms.tokenSecret;
  if (target === undefined || secret === undefined) return undefined;
  const data: AgentStateEventData = { sessionId: state.sessionId, state: state.state, version: state.version, updatedAt: state.updatedAt };
  try {
    const result = await publishToRoom({
      target,
      secret,
      room: agentRoom(state.sessionId),
      event: { name: AGENT_STATE_EVENT, data },
      timeoutMs: config.rooms.publishTimeoutMs,
    });
    counters.published += 1;
    return result;
  } catch (error) {
    counters.failed += 1;
    logError("agent state publish failed", error, { sessionId: state.sessionId, version: state.version });
    return undefined;
  }
}

/** Hand the publish to the request's waitUntil (or let it run detached where there is none, as in app.request tests). */
export function publishAgentStateLater(c: Pick<Context, "executionCtx"> & { env: RoomsEnv }, config: AppConfig, state: AgentState): void {
  const target = roomStub(c.env, agentRoom(state.sessionId));
  if (target === undefined || config.rooms.tokenSecret === undefined) return;
  const publishing = publishAgentState(config, target, state);
  try {
    c.executionCtx.waitUntil(publishing);
  } catch {
    // No execution context: the promise runs on its own and never rejects.
  }
}
