/** Agent states: request and response schemas. */
import { z } from "zod";
import { Cursor, Id, IdInput, JsonObject, Limit, page, Timestamp } from "./common.ts";

export const AGENT_STATES = ["idle", "running", "waiting", "done", "failed"] as const;
export const AgentStateName = z.enum(AGENT_STATES, { message: `must be one of ${AGENT_STATES.join(", ")}` });

/** Session ids appear in URLs: a conservative alphabet keeps them unambiguous there. */
export const SessionId = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "must use only letters, digits and . _ : -")
  .meta({ example: "sess_01HZX3" });
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export const AgentState = z
  .object({
    sessionId: z.string(),
    userId: Id,
    state: AgentStateName,
    data: z.record(z.string(), z.unknown()),
    version: z.number().int().min(1),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "AgentState" });
export type AgentState = z.infer<typeof AgentState>;

export const PutAgentStateBody = z
  .strictObject({
    userId: IdInput,
    state: AgentStateName,
    data: JsonObject.optional(),
    version: z
      .number({ message: "must be a number" })
      .int("must be an integer")
      .min(1, "must be >= 1")
      .max(2_147_483_647, "must fit a 32-bit integer")
      .optional()
      .meta({ description: "The version last read. Omit to create; a mismatch answers 409." }),
  })
  .meta({ id: "PutAgentState" });
export type PutAgentStateBody = z.infer<typeof PutAgentStateBody>;

export const SessionParams = z.object({ sessionId: SessionId });

export const ListAgentStatesQuery = z.object({
  userId: Id,
  limit: Limit,
  cursor: Cursor.optional(),
});
export type ListAgentStatesQuery = z.infer<typeof ListAgentStatesQuery>;

export const AgentStatePage = page(AgentState, "AgentStatePage");
