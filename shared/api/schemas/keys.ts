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

/** Key listing, rotation and revocation: never a secret or a hash, except the token a rotation returns once. */
export const KeyIdParams = z.object({
  keyId: z
    .string()
    .regex(/^[0-9a-f]{16}$/, "must be 16 lower-case hex characters")
    .meta({ example: "3f9a0c1d2b4e5f60" }),
});

export const KeyRecord = z
  .object({
    keyId: z.string(),
    name: z.string(),
    scopes: z.array(ScopeName),
    createdAt: Timestamp,
    lastUsedAt: Timestamp.nullable().meta({ description: "Stamped at most once a minute per key" }),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: "KeyRecord" });

export const KeyList = z.object({ items: z.array(KeyRecord) }).meta({ id: "KeyList" });

export const ListKeysQuery = z.object({
  active: z
    .enum(["true", "false"])
    .optional()
    .meta({ description: "true: leave revoked keys out (default false: list every key)" }),
});

export const RotatedKey = KeyRecord.extend({
  token: z.string().meta({ description: "The new bearer token. Shown once; the previous token no longer verifies." }),
}).meta({ id: "RotatedKey" });
