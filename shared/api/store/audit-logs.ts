/**
 * Audit logs over the query optimizer. Pages are newest first, keyed on
 * (occurred_at, id); the cursor carries occurred_at as epoch microseconds because
 * a JS Date keeps only milliseconds and would skip or repeat rows.
 */
import type { QueryOptimizer, ReadContext } from "../../db/query-types.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { ID_PATTERN } from "../schemas/common.ts";
import type { AuditLog, QueryAuditLogsQuery } from "../schemas/audit-logs.ts";
import { translateViolations, unknownUser } from "./db-errors.ts";
import { iso, jsonObject, nullableText, Params, served, text, type Served } from "./rows.ts";

// Output names shadow columns in ORDER BY: sort on qualified columns (bigint id), never the text aliases.
const COLUMNS =
  "id::text AS id, occurred_at, (extract(epoch FROM occurred_at) * 1000000)::bigint::text AS occurred_us, user_id::text AS user_id, action, resource, metadata";
const MICROS_PATTERN = /^-?[0-9]{1,19}$/;

type Row = Record<string, unknown>;

function toAuditLog(row: Row): AuditLog {
  return {
    id: text(row.id),
    occurredAt: iso(row.occurred_at),
    userId: nullableText(row.user_id),
    action: text(row.action),
    resource: text(row.resource),
    metadata: jsonObject(row.metadata),
  };
}

export interface NewAuditLog {
  userId?: string | null | undefined;
  action: string;
  resource: string;
  metadata?: Record<string, unknown> | undefined;
  occurredAt?: string | undefined;
}

export function auditLogStore(db: QueryOptimizer) {
  return {
    async append(entry: NewAuditLog, ctx?: ReadContext): Promise<Served<AuditLog>> {
      const result = await translateViolations(
        () =>
          db.write<Row>(
            `INSERT INTO audit_logs (user_id, action, resource, metadata, occurred_at)
             VALUES ($1, $2, $3, $4::jsonb, COALESCE($5::timestamptz, now())) RETURNING ${COLUMNS}`,
            [entry.userId ?? null, entry.action, entry.resource, JSON.stringify(entry.metadata ?? {}), entry.occurredAt ?? null],
            {},
            ctx,
          ),
        { foreignKey: unknownUser },
      );
      return served(toAuditLog(result.rows[0]!), result);
    },

    async query(query: QueryAuditLogsQuery, ctx?: ReadContext): Promise<Served<{ items: AuditLog[]; nextCursor: string | null }>> {
      const filters = { userId: query.userId, action: query.action, from: query.from, to: query.to };
      const params = new Params();
      const where: string[] = [];
      if (query.userId !== undefined) where.push(`user_id = ${params.add(query.userId)}`);
      if (query.action !== undefined) where.push(`action = ${params.add(query.action)}`);
      if (query.from !== undefined) where.push(`occurred_at >= ${params.add(query.from)}::timestamptz`);
      if (query.to !== undefined) where.push(`occurred_at < ${params.add(query.to)}::timestamptz`);
      if (query.cursor !== undefined) {
        const [micros, id] = decodeCursor(query.cursor, filters, [MICROS_PATTERN, ID_PATTERN]);
        where.push(
          `(occurred_at, id) < (timestamptz 'epoch' + ${params.add(micros)}::bigint * interval '1 microsecond', ${params.add(id)}::bigint)`,
        );
      }
      const sql = `SELECT ${COLUMNS} FROM audit_logs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY audit_logs.occurred_at DESC, audit_logs.id DESC LIMIT ${params.add(query.limit + 1)}`;
      const result = await db.read<Row>(sql, params.values, {}, ctx);
      const rows = result.rows.slice(0, query.limit);
      const last = rows.at(-1);
      const nextCursor = result.rows.length > query.limit && last ? encodeCursor([text(last.occurred_us), text(last.id)], filters) : null;
      return served({ items: rows.map(toAuditLog), nextCursor }, result);
    },
  };
}

export type AuditLogStore = ReturnType<typeof auditLogStore>;
