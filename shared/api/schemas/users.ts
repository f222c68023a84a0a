/** Users: request and response schemas. */
import { z } from "zod";
import { Cursor, Id, Limit, page, storableText, Timestamp } from "./common.ts";

export const PLAN_TIERS = ["free", "pro", "team", "enterprise"] as const;
export const ROLES = ["viewer", "member", "admin", "owner"] as const;

export const PlanTier = z.enum(PLAN_TIERS, { message: `must be one of ${PLAN_TIERS.join(", ")}` });
export const Role = z.enum(ROLES, { message: `must be one of ${ROLES.join(", ")}` });

/**
 * Permissive on purpose: one "@" with something on both sides, no whitespace. Unicode
 * local parts and domains are legal (RFC 6531), and uniqueness is case-insensitive in the schema.
 * No regex flags: the document carries only the source, and `[^\s@]` needs no `u` to pass
 * astral characters (both halves of a pair are neither space nor "@").
 */
export const Email = storableText(320)
  .regex(/^[^\s@]+@[^\s@]+$/, "must be an email address")
  .meta({ example: "ada@example.com" });

export const DisplayName = storableText(200).nullable().meta({ example: "Ada Lovelace" });

export const User = z
  .object({
    id: Id,
    email: z.string(),
    displayName: z.string().nullable(),
    planTier: PlanTier,
    role: Role,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "User" });
export type User = z.infer<typeof User>;

export const CreateUserBody = z
  .strictObject({
    email: Email,
    displayName: DisplayName.optional(),
    planTier: PlanTier,
    role: Role,
  })
  .meta({ id: "CreateUser" });

export const UpdateUserBody = z
  .strictObject({
    email: Email.optional(),
    displayName: DisplayName.optional(),
    planTier: PlanTier.optional(),
    role: Role.optional(),
  })
  .refine((body) => Object.values(body).some((v) => v !== undefined), { message: "must change at least one field" })
  .meta({ id: "UpdateUser" });
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const UserIdParams = z.object({ id: Id });

export const UserByEmailQuery = z.object({ email: Email });

export const ListUsersQuery = z.object({
  planTier: PlanTier.optional(),
  role: Role.optional(),
  limit: Limit,
  cursor: Cursor.optional(),
});
export type ListUsersQuery = z.infer<typeof ListUsersQuery>;

export const UserPage = page(User, "UserPage");
