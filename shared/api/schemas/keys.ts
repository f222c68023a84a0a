/** Admin: API key creation. */
import { z } from "zod";
import { SCOPES } from "../api-keys.ts";
import { storableText, Timestamp } from "./common.ts";

export const ScopeName = z.enum(SCOPES, { message: `must be one of ${SCOPES.join(", ")}` });

export const CreateKeyBody = z
  .strictObject({
    name: storableText(200, 1).meta({ example: "billing-service" }),
    scopes: z.array(ScopeName).min(1, "must name at least one scope").max(SCOPES.length),
  })
  .meta({ id: "CreateKey" });

export const CreatedKey = z
  .object({
    keyId: z.string(),
    name: z.string(),
    scopes: z.array(ScopeName),
    createdAt: Timestamp,
    token: z.string().meta({ description: "The bearer token. Shown once; only its hash is stored." }),
  })
  .meta({ id: "CreatedKey" });
