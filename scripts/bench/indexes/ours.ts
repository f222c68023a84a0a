/** The first workload: Netra's own schema (users, audit logs, agent states), seeded by scripts/seed.ts. */
import type pg from "pg";
import { migratePostgres } from "../../migrate.ts";
import { seedDatabase } from "../../seed.ts";
import type { BenchWorkload, Statement } from "./types.ts";

const USERS = 100_000;
const AUDIT_LOGS = 1_000_000;

export const ours: BenchWorkload = {
  async setup(client: pg.Client, url: string) {
    await migratePostgres(url, { log: () => undefined });
    await seedDatabase(url, { users: USERS, auditLogs: AUDIT_LOGS, agentStates: USERS / 2, seed: 42, anchor: new Date("2026-06-01T00:00:00Z"), log: () => undefined });
    await client.query("ANALYZE");
    return { users: USERS, audit_logs: AUDIT_LOGS };
  },

  async statements(client: pg.Client): Promise<Statement[]> {
    const sample = async (sql: string) => (await client.query(sql)).rows.map((r: Record<string, unknown>) => Object.values(r)[0]);
    const emails = (await sample("SELECT email FROM users TABLESAMPLE SYSTEM (1) REPEATABLE (1) LIMIT 200")) as string[];
    const userIds = (await sample("SELECT user_id FROM audit_logs WHERE user_id IS NOT NULL AND id % 997 = 0 LIMIT 200")) as number[];
    const sessions = (await sample("SELECT session_id FROM agent_states TABLESAMPLE SYSTEM (5) REPEATABLE (1) LIMIT 200")) as string[];
    const resources = (await sample("SELECT resource FROM audit_logs WHERE id % 4999 = 0 LIMIT 200")) as string[];
    const since = "2026-05-01T00:00:00Z";
    const pick = <T>(list: T[], i: number) => list[i % list.length]!;
    return [
      { name: "user_by_email", sql: "SELECT id, display_name, plan_tier FROM users WHERE email = $1", params: (i) => [pick(emails, i)] },
      {
        name: "audit_by_user_time",
        sql: "SELECT id, action, resource, occurred_at FROM audit_logs WHERE user_id = $1 AND occurred_at >= $2 ORDER BY occurred_at DESC LIMIT 50",
        params: (i) => [pick(userIds, i), since],
      },
      { name: "audit_actions_per_user", sql: "SELECT action, count(*) FROM audit_logs WHERE user_id = $1 AND occurred_at >= $2 GROUP BY action", params: (i) => [pick(userIds, i + 7), since] },
      { name: "audit_by_resource", sql: "SELECT id, action, occurred_at FROM audit_logs WHERE resource = $1", params: (i) => [pick(resources, i)] },
      {
        name: "agents_by_user",
        sql: "SELECT session_id, state, updated_at FROM agent_states WHERE user_id = $1 ORDER BY updated_at DESC LIMIT 20",
        params: (i) => [pick(userIds, i + 3)],
      },
      { name: "user_by_id (served)", sql: "SELECT id, email, plan_tier FROM users WHERE id = $1", params: (i) => [pick(userIds, i)] },
      { name: "agent_by_session (served)", sql: "SELECT state, version FROM agent_states WHERE session_id = $1", params: (i) => [pick(sessions, i)] },
    ];
  },

  right: [
    { name: "users (email)", table: "users", leading: ["email"] },
    { name: "audit_logs (user_id, occurred_at)", table: "audit_logs", leading: ["user_id", "occurred_at"] },
    { name: "audit_logs (resource)", table: "audit_logs", leading: ["resource"] },
    { name: "agent_states (user_id, updated_at)", table: "agent_states", leading: ["user_id", "updated_at"] },
  ],
};
