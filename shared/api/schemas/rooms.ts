/** POST /v1/rooms/{room}/token: request and response. */
import { z } from "zod";

/**
 * Room and party names appear in URLs: the same conservative alphabet as session ids.
 * 160, not 128: an agent's room is `agent-<sessionId>` and a session id may be 128 long.
 */
const Name = z
  .string()
  .min(1, "must not be empty")
  .max(160, "must be at most 160 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "must use only letters, digits and . _ : -");

export const RoomParams = z.object({ room: Name.meta({ example: "agent-sess_01HZX3" }) });

export const TokenRequest = z
  .object({
    party: z.literal("main").optional().meta({ description: "The only party is main (the default)" }),
    connectionId: Name.optional().meta({ description: "Bind the token to this connection id (partysocket `id`)" }),
    ttlSeconds: z.number().int().min(10).optional().meta({ description: "At most ROOM_TOKEN_TTL_SECONDS (the default)" }),
  })
  .strict();

export const TokenResponse = z
  .object({
    token: z.string(),
    party: z.string(),
    room: z.string(),
    expiresAt: z.string().meta({ description: "ISO 8601" }),
    url: z.string().meta({ description: "The room's WebSocket URL on this Worker (add ?token=...)" }),
  })
  .meta({ id: "RoomToken" });
