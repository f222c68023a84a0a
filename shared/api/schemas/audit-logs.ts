/** Audit logs: request and response schemas. */
import { z } from "zod";
import { Cursor, Id, IdInput, JsonObject, Limit, page, storableText, Timestamp, TimestampInput } from "./common.ts";

export const Action = storableText(100, 1).meta({ example: "user.login" });

export const AuditLog = z
  .object({
    id: Id,
    occurredAt: Timestamp,
    userId: Id.nullable(),
    action: z.string(),
    resource: z.string(),
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "AuditLog" });
export type AuditLog = z.infer<typeof AuditLog>;

export const AppendAuditLogBody = z
  .strictObject({
    userId: IdInput.nullable().optional().meta({ description: "null or absent for system actions." }),
    action: Action,
    resource: storableText(500, 1).meta({ example: "users/42" }),
    metadata: JsonObject.optional(),
    occurredAt: TimestampInput.optional().meta({ description: "Defaults to the time the database stores it." }),
  })
  .meta({ id: "AppendAuditLog" });

export const QueryAuditLogsQuery = z
  .object({
    userId: Id.optional(),
    action: Action.optional(),
    from: TimestampInput.optional().meta({ description: "Inclusive lower bound of occurredAt." }),
    to: TimestampInput.optional().meta({ description: "Exclusive upper bound of occurredAt." }),
    limit: Limit,
    cursor: Cursor.optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: "must be after from",
    path: ["to"],
  });
export type QueryAuditLogsQuery = z.infer<typeof QueryAuditLogsQuery>;

export const AuditLogPage = page(AuditLog, "AuditLogPage");
