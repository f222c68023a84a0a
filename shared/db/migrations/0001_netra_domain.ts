/**
 * The Netra domain the performance suite serves, plus the suite's own bookkeeping tables.
 *
 * Deliberately no secondary performance indexes: the index advisor must derive them from the
 * observed workload (pg_stat_statements + hypopg). Only primary keys, foreign keys and
 * constraints that state data rules live here; each table's COMMENT says why it exists.
 */
import type { Migration } from "../migration-types.ts";

export const netraDomain: Migration = {
  id: "0001_netra_domain",
  statements: [
    // Keeps updated_at honest without every writer remembering it; an explicit new value wins.
    `CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
$$`,

    `CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL CHECK (position('@' IN email) > 1),
  display_name text,
  plan_tier text NOT NULL CHECK (plan_tier IN ('free', 'pro', 'team', 'enterprise')),
  role text NOT NULL CHECK (role IN ('viewer', 'member', 'admin', 'owner')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
    `COMMENT ON TABLE users IS 'Accounts of the Netra platform: the hot read path (profile, plan, role lookups) the tiered cache serves.'`,
    // Emails are unique regardless of case: a data rule, so it lives in the schema, not the advisor.
    `CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`,
    `CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at()`,

    `CREATE TABLE audit_logs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  user_id bigint REFERENCES users (id) ON DELETE SET NULL,
  action text NOT NULL,
  resource text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'
)`,
    `COMMENT ON TABLE audit_logs IS 'Append-only record of who did what: the large, time-ranged table whose queries the index advisor tunes. user_id is null for system actions and outlives a deleted user.'`,

    `CREATE TABLE agent_states (
  session_id text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  state text NOT NULL CHECK (state IN ('idle', 'running', 'waiting', 'done', 'failed')),
  data jsonb NOT NULL DEFAULT '{}',
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
    `COMMENT ON TABLE agent_states IS 'Current state of each AI agent session: small rows, frequent writes (version is the optimistic-concurrency counter), read through the cache and pushed to rooms.'`,
    `CREATE TRIGGER agent_states_touch_updated_at BEFORE UPDATE ON agent_states FOR EACH ROW EXECUTE FUNCTION touch_updated_at()`,

    `CREATE TABLE api_keys (
  key_id text PRIMARY KEY,
  name text NOT NULL,
  secret_hash text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
)`,
    `COMMENT ON TABLE api_keys IS 'Credentials for the suite''s own API: key_id is the public prefix sent by clients, secret_hash the SHA-256 (hex) of the secret, which is never stored.'`,

    `CREATE TABLE cron_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job text NOT NULL,
  cron text,
  scheduled_at timestamptz,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz CHECK (finished_at >= started_at),
  status text NOT NULL CHECK (status IN ('running', 'ok', 'error', 'skipped')),
  detail jsonb NOT NULL DEFAULT '{}'
)`,
    `COMMENT ON TABLE cron_runs IS 'One row per cron job execution (rollups, alerts, index analysis): lets jobs prove they ran, detect overlaps and stay idempotent.'`,
  ],
};
