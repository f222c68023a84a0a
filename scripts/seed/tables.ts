/** The seeded tables' columns, in the order generators emit them and inserts bind them. */

export interface TableSpec {
  table: string;
  /** [column, Postgres array element type for unnest] */
  columns: readonly (readonly [string, string])[];
  /** Ids are generated client-side so references between tables are deterministic. */
  identity: boolean;
}

export const USERS: TableSpec = {
  table: "users",
  columns: [
    ["id", "bigint"],
    ["email", "text"],
    ["display_name", "text"],
    ["plan_tier", "text"],
    ["role", "text"],
    ["created_at", "timestamptz"],
    ["updated_at", "timestamptz"],
  ],
  identity: true,
};

export const AUDIT_LOGS: TableSpec = {
  table: "audit_logs",
  columns: [
    ["id", "bigint"],
    ["occurred_at", "timestamptz"],
    ["user_id", "bigint"],
    ["action", "text"],
    ["resource", "text"],
    ["metadata", "jsonb"],
  ],
  identity: true,
};

export const AGENT_STATES: TableSpec = {
  table: "agent_states",
  columns: [
    ["session_id", "text"],
    ["user_id", "bigint"],
    ["state", "text"],
    ["data", "jsonb"],
    ["version", "integer"],
    ["created_at", "timestamptz"],
    ["updated_at", "timestamptz"],
  ],
  identity: false,
};

/** Truncated together by --reset: foreign keys tie them. */
export const DOMAIN_TABLES = [USERS, AUDIT_LOGS, AGENT_STATES] as const;

/** One batch of rows, column-major, in the spec's column order. */
export interface ColumnBatch {
  rows: number;
  columns: unknown[][];
}
