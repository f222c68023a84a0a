/**
 * Agent states over the query optimizer. PUT is an upsert guarded by `version`
 * (optimistic concurrency): no version creates and fails if the session exists; a
 * version updates only if it is still the current one, and bumps it.
 */
import type { QueryOptimizer, ReadContext } from "../../db/query-types.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { conflict, notFound } from "../errors.ts";
import { SESSION_ID_PATTERN, type AgentState, type ListAgentStatesQuery } from "../schemas/agent-states.ts";
import { translateViolations, unknownUser } from "./db-errors.ts";
import { iso, jsonObject, Params, served, text, type Served } from "./rows.ts";

const COLUMNS = "session_id, user_id::text AS user_id, state, data, version, created_at, updated_at";

type Row = Record<string, unknown>;

function toAgentState(row: Row): AgentState {
  return {
    sessionId: text(row.session_id),
    userId: text(row.user_id),
    state: text(row.state) as AgentState["state"],
    data: jsonObject(row.data),
    version: Number(row.version),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export interface AgentStateInput {
  userId: string;
  state: AgentState["state"];
  data?: Record<string, unknown> | undefined;
  version?: number | undefined;
}

export function agentStateStore(db: QueryOptimizer) {
  return {
    async bySession(sessionId: string, ctx?: ReadContext): Promise<Served<AgentState>> {
      const result = await db.read<Row>(`SELECT ${COLUMNS} FROM agent_states WHERE session_id = $1`, [sessionId], {}, ctx);
      const row = result.rows[0];
      if (row === undefined) throw notFound(`agent state ${sessionId}`);
      return served(toAgentState(row), result);
    },

    async listByUser(query: ListAgentStatesQuery, ctx?: ReadContext): Promise<Served<{ items: AgentState[]; nextCursor: string | null }>> {
      const filters = { userId: query.userId };
      const params = new Params();
      const where = [`user_id = ${params.add(query.userId)}`];
      if (query.cursor !== undefined) {
        const [after] = decodeCursor(query.cursor, filters, [SESSION_ID_PATTERN]);
        where.push(`session_id > ${params.add(after)}`);
      }
      const sql = `SELECT ${COLUMNS} FROM agent_states WHERE ${where.join(" AND ")} ORDER BY session_id LIMIT ${params.add(query.limit + 1)}`;
      const result = await db.read<Row>(sql, params.values, {}, ctx);
      const items = result.rows.slice(0, query.limit).map(toAgentState);
      const last = items.at(-1);
      const nextCursor = result.rows.length > query.limit && last ? encodeCursor([last.sessionId], filters) : null;
      return served({ items, nextCursor }, result);
    },

    /** { value, created } — created is true when the session did not exist. */
    async put(sessionId: string, input: AgentStateInput, ctx?: ReadContext): Promise<Served<AgentState> & { created: boolean }> {
      const data = JSON.stringify(input.data ?? {});
      if (input.version === undefined) {
        const result = await translateViolations(
          () =>
            db.write<Row>(
              `INSERT INTO agent_states (session_id, user_id, state, data) VALUES ($1, $2, $3, $4::jsonb)
               ON CONFLICT (session_id) DO NOTHING RETURNING ${COLUMNS}`,
              [sessionId, input.userId, input.state, data],
              {},
              ctx,
            ),
          { foreignKey: unknownUser },
        );
        const row = result.rows[0];
        if (row === undefined) throw conflict("version_conflict", `agent state ${sessionId} already exists: send the version you last read`);
        return { ...served(toAgentState(row), result), created: true };
      }
      const result = await translateViolations(
        () =>
          db.write<Row>(
            `UPDATE agent_states SET user_id = $2, state = $3, data = $4::jsonb, version = version + 1
             WHERE session_id = $1 AND version = $5 RETURNING ${COLUMNS}`,
            [sessionId, input.userId, input.state, data, input.version],
            {},
            ctx,
          ),
        { foreignKey: unknownUser },
      );
      const row = result.rows[0];
      if (row !== undefined) return { ...served(toAgentState(row), result), created: false };
      const current = await db.read<{ version: number }>("SELECT version FROM agent_states WHERE session_id = $1", [sessionId], { cache: false }, ctx);
      const found = current.rows[0];
      if (found === undefined) throw notFound(`agent state ${sessionId}`);
      throw conflict("version_conflict", `agent state ${sessionId} is at version ${found.version}, not ${input.version}`);
    },
  };
}

export type AgentStateStore = ReturnType<typeof agentStateStore>;
