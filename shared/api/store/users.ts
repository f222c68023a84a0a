/**
 * Users over the query optimizer: reads through the tiered cache; each write is one
 * statement that also appends the audit record (tables written are invalidated by
 * the optimizer once it commits).
 */
import type { QueryOptimizer, ReadContext } from "../../db/query-types.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { conflict, notFound } from "../errors.ts";
import { ID_PATTERN } from "../schemas/common.ts";
import type { ListUsersQuery, UpdateUserBody, User } from "../schemas/users.ts";
import { translateViolations } from "./db-errors.ts";
import { iso, nullableText, Params, served, text, type Served } from "./rows.ts";

// Output names shadow columns in ORDER BY: sort on the qualified users.id (bigint), never the text alias.
const COLUMNS = "id::text AS id, email, display_name, plan_tier, role, created_at, updated_at";

type Row = Record<string, unknown>;

function toUser(row: Row): User {
  return {
    id: text(row.id),
    email: text(row.email),
    displayName: nullableText(row.display_name),
    planTier: text(row.plan_tier) as User["planTier"],
    role: text(row.role) as User["role"],
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export interface NewUser {
  email: string;
  displayName?: string | null | undefined;
  planTier: User["planTier"];
  role: User["role"];
}

const emailTaken = () => conflict("email_taken", "a user with this email already exists (emails are case-insensitive)");

/**
 * A users write and its audit record as one statement: the data-modifying CTE runs
 * both atomically in one HTTP round trip, where a transaction over the WebSocket
 * Pool would open a connection and authenticate on every request (a Worker cannot
 * keep one). `write` is an UPDATE or INSERT into users ... RETURNING ${COLUMNS};
 * its `$n` parameters come first, then the audit action and metadata.
 */
function withAudit(write: string, writeParams: readonly unknown[], action: string, metadata: Record<string, unknown>): { sql: string; params: unknown[] } {
  const n = writeParams.length;
  return {
    sql: `WITH written AS (${write}),
  audited AS (INSERT INTO audit_logs (user_id, action, resource, metadata) SELECT id::bigint, $${n + 1}, 'users/' || id, $${n + 2}::jsonb FROM written)
SELECT * FROM written`,
    params: [...writeParams, action, JSON.stringify(metadata)],
  };
}

export function userStore(db: QueryOptimizer) {
  return {
    async byId(id: string, ctx?: ReadContext): Promise<Served<User>> {
      const result = await db.read<Row>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id], {}, ctx);
      const row = result.rows[0];
      if (row === undefined) throw notFound(`user ${id}`);
      return served(toUser(row), result);
    },

    async byEmail(email: string, ctx?: ReadContext): Promise<Served<User>> {
      const result = await db.read<Row>(`SELECT ${COLUMNS} FROM users WHERE lower(email) = lower($1)`, [email], {}, ctx);
      const row = result.rows[0];
      if (row === undefined) throw notFound("a user with this email");
      return served(toUser(row), result);
    },

    /** Keyset pagination on id; the cursor is bound to the filters. */
    async list(query: ListUsersQuery, ctx?: ReadContext): Promise<Served<{ items: User[]; nextCursor: string | null }>> {
      const filters = { planTier: query.planTier, role: query.role };
      const params = new Params();
      const where: string[] = [];
      if (query.planTier !== undefined) where.push(`plan_tier = ${params.add(query.planTier)}`);
      if (query.role !== undefined) where.push(`role = ${params.add(query.role)}`);
      if (query.cursor !== undefined) {
        const [afterId] = decodeCursor(query.cursor, filters, [ID_PATTERN]);
        where.push(`id > ${params.add(afterId)}`);
      }
      const sql = `SELECT ${COLUMNS} FROM users${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY users.id LIMIT ${params.add(query.limit + 1)}`;
      const result = await db.read<Row>(sql, params.values, {}, ctx);
      const items = result.rows.slice(0, query.limit).map(toUser);
      const last = items.at(-1);
      const nextCursor = result.rows.length > query.limit && last ? encodeCursor([last.id], filters) : null;
      return served({ items, nextCursor }, result);
    },

    async create(user: NewUser, actor: string, ctx?: ReadContext): Promise<Served<User>> {
      const started = performance.now();
      const { sql, params } = withAudit(
        `INSERT INTO users (email, display_name, plan_tier, role) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
        [user.email, user.displayName ?? null, user.planTier, user.role],
        "user.created",
        { actor },
      );
      const result = await translateViolations(() => db.write<Row>(sql, params, {}, ctx), { unique: emailTaken });
      return { value: toUser(result.rows[0]!), tier: "bypass", dbMs: performance.now() - started };
    },

    async update(id: string, changes: UpdateUserBody, actor: string, ctx?: ReadContext): Promise<Served<User>> {
      const params = new Params();
      const set: string[] = [];
      if (changes.email !== undefined) set.push(`email = ${params.add(changes.email)}`);
      if (changes.displayName !== undefined) set.push(`display_name = ${params.add(changes.displayName)}`);
      if (changes.planTier !== undefined) set.push(`plan_tier = ${params.add(changes.planTier)}`);
      if (changes.role !== undefined) set.push(`role = ${params.add(changes.role)}`);
      const fields = Object.keys(changes).filter((k) => changes[k as keyof UpdateUserBody] !== undefined);
      const { sql, params: values } = withAudit(
        `UPDATE users SET ${set.join(", ")} WHERE id = ${params.add(id)} RETURNING ${COLUMNS}`,
        params.values,
        "user.updated",
        { actor, fields },
      );
      const started = performance.now();
      const result = await translateViolations(() => db.write<Row>(sql, values, {}, ctx), { unique: emailTaken });
      const row = result.rows[0];
      if (row === undefined) throw notFound(`user ${id}`);
      return { value: toUser(row), tier: "bypass", dbMs: performance.now() - started };
    },
  };
}

export type UserStore = ReturnType<typeof userStore>;
