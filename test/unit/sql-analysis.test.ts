import { describe, expect, it } from "vitest";
import { analyzeStatement } from "../../shared/db/sql-analysis.ts";

interface Case {
  sql: string;
  kind: "read" | "write" | "other";
  reads?: string[];
  writes?: string[];
  cacheable: boolean;
  reason?: string;
}

const corpus: Case[] = [
  // plain reads
  { sql: "select * from users where id = $1", kind: "read", reads: ["public.users"], cacheable: true },
  { sql: "SELECT id FROM USERS WHERE email = lower($1)", kind: "read", reads: ["public.users"], cacheable: true },
  { sql: "select 1", kind: "read", reads: [], cacheable: true },
  // joins, schema-qualified and quoted names
  {
    sql: 'select u.id from "public"."Users" u join audit_logs a on a.user_id = u.id left join audit.events e on true',
    kind: "read",
    reads: ["audit.events", "public.Users", "public.audit_logs"],
    cacheable: true,
  },
  { sql: 'select * from "agent_states" s, public.users u where s.user_id = u.id', kind: "read", reads: ["public.agent_states", "public.users"], cacheable: true },
  // subqueries in FROM, WHERE, SELECT, HAVING, CASE, ARRAY, EXISTS, LATERAL
  {
    sql: "select (select count(*) from api_keys) as n, c.* from (select * from cron_runs) c where c.id in (select user_id from audit_logs)",
    kind: "read",
    reads: ["public.api_keys", "public.audit_logs", "public.cron_runs"],
    cacheable: true,
  },
  {
    sql: "select count(*) from users group by role having count(*) > (select count(*) from api_keys)",
    kind: "read",
    reads: ["public.api_keys", "public.users"],
    cacheable: true,
  },
  { sql: "select case when true then (select 1 from a) end from b", kind: "read", reads: ["public.a", "public.b"], cacheable: true },
  { sql: "select array(select id from users), exists(select 1 from api_keys)", kind: "read", reads: ["public.api_keys", "public.users"], cacheable: true },
  {
    sql: "select * from users u, lateral (select * from audit_logs a where a.user_id = u.id limit 3) l",
    kind: "read",
    reads: ["public.audit_logs", "public.users"],
    cacheable: true,
  },
  // UNION
  { sql: "select id from users union select user_id from agent_states", kind: "read", reads: ["public.agent_states", "public.users"], cacheable: true },
  { sql: "select id from users union all select id from audit_logs", kind: "read", reads: ["public.audit_logs", "public.users"], cacheable: true },
  // CTEs: names excluded; a non-recursive binding named like a table reads the table
  { sql: "with recent as (select * from audit_logs) select * from recent join users on true", kind: "read", reads: ["public.audit_logs", "public.users"], cacheable: true },
  { sql: "with users as (select * from users where id = 1) select * from users", kind: "read", reads: ["public.users"], cacheable: true },
  { sql: "with a as (select 1 as x), b as (select * from a) select * from b", kind: "read", reads: [], cacheable: true },
  { sql: "with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select * from r", kind: "read", reads: [], cacheable: true },
  // data-modifying CTEs make the statement a write
  {
    sql: "with x as (update users set role = 'admin' where id = $1 returning id) select * from x",
    kind: "write",
    writes: ["public.users"],
    cacheable: false,
    reason: "not_a_read",
  },
  {
    sql: "with moved as (delete from agent_states where state = 'done' returning *) insert into audit_logs (action, resource) select 'archive', session_id from moved",
    kind: "write",
    writes: ["public.agent_states", "public.audit_logs"],
    cacheable: false,
  },
  // writes
  { sql: "insert into users (email, plan_tier, role) values ($1, $2, $3) returning id", kind: "write", writes: ["public.users"], cacheable: false },
  {
    sql: "insert into audit_logs (user_id, action, resource) select id, 'a', 'b' from users",
    kind: "write",
    reads: ["public.users"],
    writes: ["public.audit_logs"],
    cacheable: false,
  },
  {
    sql: "insert into agent_states (session_id, user_id, state) values ($1, $2, $3) on conflict (session_id) do update set state = excluded.state returning *",
    kind: "write",
    writes: ["public.agent_states"],
    cacheable: false,
  },
  {
    sql: "update users set role = $1 from agent_states s where s.user_id = users.id",
    kind: "write",
    reads: ["public.agent_states", "public.users"],
    writes: ["public.users"],
    cacheable: false,
  },
  { sql: 'delete from "Audit"."Logs" where id = $1', kind: "write", writes: ["Audit.Logs"], cacheable: false },
  { sql: "update public.agent_states set version = version + 1 where session_id = $1", kind: "write", writes: ["public.agent_states"], cacheable: false },
  // DDL and utility statements: other (tables they change are still named)
  { sql: "create table t (id int)", kind: "other", writes: [], cacheable: false, reason: "not_a_read" },
  { sql: "truncate users, audit.logs", kind: "other", writes: ["audit.logs", "public.users"], cacheable: false },
  { sql: "drop table users", kind: "other", writes: ["public.users"], cacheable: false },
  { sql: "alter table users add column x int", kind: "other", writes: ["public.users"], cacheable: false },
  { sql: "set statement_timeout = 1000", kind: "other", cacheable: false },
  { sql: "begin", kind: "other", cacheable: false },
  // locking reads
  { sql: "select * from users where id = $1 for update", kind: "read", reads: ["public.users"], cacheable: false, reason: "locking" },
  { sql: "select * from agent_states for share skip locked", kind: "read", cacheable: false, reason: "locking" },
  // volatile functions and keywords
  { sql: "select now(), random()", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select * from users where created_at > now() - interval '1 day'", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select current_timestamp", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select * from audit_logs where occurred_at > current_date", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select 'now'::timestamptz", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select clock_timestamp()", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select nextval('users_id_seq')", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select gen_random_uuid()", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select txid_current()", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select pg_sleep(1)", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select pg_catalog.now()", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select age(created_at) from users", kind: "read", cacheable: false, reason: "volatile" },
  { sql: "select id from users where id in (select user_id from audit_logs where occurred_at > now())", kind: "read", cacheable: false, reason: "volatile" },
  // deterministic functions stay cacheable; unknown ones do not
  {
    sql: "select date_trunc('day', occurred_at), count(*), coalesce(max(user_id), 0) from audit_logs where user_id = any($1::bigint[]) group by 1",
    kind: "read",
    reads: ["public.audit_logs"],
    cacheable: true,
  },
  { sql: "select row_number() over (partition by user_id order by occurred_at) from audit_logs", kind: "read", cacheable: true },
  { sql: "select * from generate_series(1, 3) g", kind: "read", reads: [], cacheable: true },
  { sql: "select my_func(id) from users", kind: "read", reads: ["public.users"], cacheable: false, reason: "unknown_function" },
  { sql: "select app.lower(email) from users", kind: "read", cacheable: false, reason: "unknown_function" },
  // system catalogs change without our writes
  { sql: "select * from pg_stat_statements", kind: "read", cacheable: false, reason: "system_catalog" },
  { sql: "select table_name from information_schema.tables", kind: "read", cacheable: false, reason: "system_catalog" },
  // unparseable or ambiguous text is never cacheable; its kind is a guess
  { sql: "copy users to stdout", kind: "other", cacheable: false, reason: "unparseable" },
  { sql: "explain select * from users", kind: "other", cacheable: false, reason: "unparseable" },
  { sql: "delete from audit_logs using users where users.id = audit_logs.user_id", kind: "write", cacheable: false, reason: "unparseable" },
  { sql: "select $tag$ hi $tag$", kind: "read", cacheable: false, reason: "unparseable" },
  { sql: "selec * from users", kind: "other", cacheable: false, reason: "unparseable" },
  { sql: "select 1; select 2", kind: "read", cacheable: false, reason: "multiple_statements" },
  { sql: "select 1; delete from users", kind: "write", writes: ["public.users"], cacheable: false },
];

describe("analyzeStatement", () => {
  for (const c of corpus) {
    it(`${c.kind}${c.cacheable ? " cacheable" : ""}: ${c.sql}`, () => {
      const analysis = analyzeStatement(c.sql);
      expect(analysis.kind).toBe(c.kind);
      expect(analysis.cacheable).toBe(c.cacheable);
      if (c.reads !== undefined) expect(analysis.tablesRead).toEqual(c.reads);
      if (c.writes !== undefined) expect(analysis.tablesWritten).toEqual(c.writes);
      if (c.reason !== undefined) expect(analysis.reason).toBe(c.reason);
    });
  }

  it("flags unparseable text as uncertain, parsed text as certain", () => {
    expect(analyzeStatement("copy users to stdout").certain).toBe(false);
    expect(analyzeStatement("select * from users").certain).toBe(true);
  });

  it("names the volatile calls it found", () => {
    expect(analyzeStatement("select now(), random(), current_timestamp").volatileCalls).toEqual([
      "now",
      "random",
      "current_timestamp",
    ]);
  });

  it("never throws, whatever the input", () => {
    for (const sql of ["", ";", "'", '"', "$1", "select (", "/* unterminated", "\u0000"]) {
      expect(() => analyzeStatement(sql)).not.toThrow();
      expect(analyzeStatement(sql).cacheable).toBe(false);
    }
  });
});
