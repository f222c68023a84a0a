/**
 * POST /v1/rooms/{room}/token: a short-lived token to open a WebSocket on a room
 * (shared/rooms/token.ts), served by this same Worker at /parties/main/{room}. Needs an API key with the "read" scope. The room
 * checks the token before it accepts the connection.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { ProblemError } from "../../../shared/api/problem.ts";
import { RoomParams, TokenRequest, TokenResponse } from "../../../shared/api/schemas/rooms.ts";
import { signRoomToken } from "../../../shared/rooms/token.ts";
import type { AppEnv } from "../../env.ts";
import { requireServices } from "../../middleware/services.ts";
import { validationHook } from "../../middleware/validation.ts";
import { jsonContent, jsonRequest, problemCodes, problems, scopedRoute } from "./define.ts";

const issueToken = scopedRoute("read", {
  method: "post",
  path: "/rooms/{room}/token",
  operationId: "issueRoomToken",
  tags: ["rooms"],
  summary: "A short-lived token to connect to a room's WebSocket",
  request: { params: RoomParams, body: jsonRequest(TokenRequest) },
  responses: { 200: jsonContent(TokenResponse, "The token and where to use it"), ...problems(400, 415), ...problemCodes("rooms_not_configured") },
});

export const roomRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(issueToken, async (c) => {
  const config = requireServices(c).config;
  const secret = config.rooms.tokenSecret;
  if (secret === undefined) {
    throw new ProblemError({ status: 503, code: "rooms_not_configured", detail: "ROOM_TOKEN_SECRET is not set" });
  }
  const { room } = c.req.valid("param");
  const body = c.req.valid("json");
  const party = body.party ?? "main";
  const ttlSeconds = Math.min(body.ttlSeconds ?? config.rooms.tokenTtlSeconds, config.rooms.tokenTtlSeconds);
  const now = Date.now();
  const token = await signRoomToken(secret, { party, room, ttlSeconds, now, ...(body.connectionId ? { connectionId: body.connectionId } : {}) });
  // The rooms live in this Worker: same origin, WebSocket scheme.
  const url = `${new URL(c.req.url).origin.replace(/^http/, "ws")}/parties/${party}/${encodeURIComponent(room)}`;
  return c.json(
    { token, party, room, expiresAt: new Date(Math.floor(now / 1000) * 1000 + ttlSeconds * 1000).toISOString(), url },
    200,
  );
});
