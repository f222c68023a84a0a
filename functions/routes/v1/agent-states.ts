/** /v1/agent-states: by session, list by user, upsert guarded by version. */
import { OpenAPIHono } from "@hono/zod-openapi";
import {
  AgentState,
  AgentStatePage,
  ListAgentStatesQuery,
  PutAgentStateBody,
  SessionParams,
} from "../../../shared/api/schemas/agent-states.ts";
import { publishAgentStateLater } from "../../agent-room.ts";
import type { AppEnv } from "../../env.ts";
import { readContext } from "../../middleware/read-context.ts";
import { servedValue } from "../../middleware/timing.ts";
import { requireServices } from "../../middleware/services.ts";
import { jsonContent, jsonRequest, problems, scopedRoute } from "./define.ts";

const getAgentState = scopedRoute("read", {
  method: "get",
  path: "/agent-states/{sessionId}",
  tags: ["agent states"],
  summary: "The state of one agent session",
  request: { params: SessionParams },
  responses: { 200: jsonContent(AgentState, "The session's state"), ...problems(400, 404) },
});

const listAgentStates = scopedRoute("read", {
  method: "get",
  path: "/agent-states",
  tags: ["agent states"],
  summary: "A user's agent sessions, by session id, with cursor pagination",
  request: { query: ListAgentStatesQuery },
  responses: { 200: jsonContent(AgentStatePage, "A page of sessions"), ...problems(400) },
});

const putAgentState = scopedRoute("write", {
  method: "put",
  path: "/agent-states/{sessionId}",
  tags: ["agent states"],
  summary: "Create (no version) or update (the version last read) a session's state",
  request: { params: SessionParams, body: jsonRequest(PutAgentStateBody) },
  responses: {
    200: jsonContent(AgentState, "Updated; version bumped"),
    201: jsonContent(AgentState, "Created at version 1"),
    ...problems(400, 404, 409, 415, 422),
  },
});

export const agentStateRoutes = new OpenAPIHono<AppEnv>()
  .openapi(getAgentState, async (c) => {
    const { sessionId } = c.req.valid("param");
    return c.json(servedValue(c, await requireServices(c).agentStates.bySession(sessionId, readContext(c))), 200);
  })
  .openapi(listAgentStates, async (c) => {
    const query = c.req.valid("query");
    return c.json(servedValue(c, await requireServices(c).agentStates.listByUser(query, readContext(c))), 200);
  })
  .openapi(putAgentState, async (c) => {
    const { sessionId } = c.req.valid("param");
    const body = c.req.valid("json");
    const services = requireServices(c);
    const result = await services.agentStates.put(sessionId, body, readContext(c));
    const state = servedValue(c, result);
    publishAgentStateLater(c, services.config, state);
    return result.created ? c.json(state, 201) : c.json(state, 200);
  });
