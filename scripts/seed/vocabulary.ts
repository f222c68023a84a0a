/** The words and weights the generators draw from: what a Netra tenant's data looks like. */
import { Weighted } from "./random.ts";

export const FIRST_NAMES = [
  "Ada", "Alan", "Amara", "Ana", "Arjun", "Ben", "Chen", "Chloe", "Daniel", "Diego", "Elena", "Emma",
  "Farah", "Felix", "Grace", "Hana", "Ivan", "Jin", "Julia", "Kai", "Lars", "Leila", "Liam", "Maya",
  "Mei", "Nadia", "Noah", "Olga", "Omar", "Priya", "Quinn", "Rafael", "Rosa", "Sam", "Sara", "Tariq",
  "Tom", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
] as const;

export const LAST_NAMES = [
  "Abe", "Alvarez", "Bauer", "Chen", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
  "Jensen", "Kim", "Kowalski", "Lee", "Martin", "Mehta", "Nakamura", "Novak", "Okafor", "Patel", "Quist",
  "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Tanaka", "Torres", "Umar", "Vargas", "Wang", "Weber",
  "Xu", "Yilmaz", "Zhang",
] as const;

export const EMAIL_DOMAINS = [
  "example.com", "acme.io", "globex.dev", "initech.co", "umbrella.ai", "hooli.net", "stark.dev", "wayne.co",
] as const;

/** Most accounts never pay: the tier mix of a freemium product. */
export const PLAN_TIERS = new Weighted([
  ["free", 72],
  ["pro", 18],
  ["team", 8],
  ["enterprise", 2],
] as const);

export const ROLES = new Weighted([
  ["viewer", 20],
  ["member", 62],
  ["admin", 14],
  ["owner", 4],
] as const);

/** What each audit action touches; the generator builds the resource name from it. */
export type ResourceKind = "user" | "session" | "agent" | "api_key" | "query" | "report" | "team" | "billing" | "index" | "cache";

/** ~20 user actions, weighted the way an activity log skews: reads and agent runs dominate. */
export const USER_ACTIONS = new Weighted<readonly [string, ResourceKind]>([
  [["auth.login", "session"], 120],
  [["auth.logout", "session"], 60],
  [["auth.login_failed", "session"], 12],
  [["user.update_profile", "user"], 15],
  [["user.change_plan", "billing"], 3],
  [["api_key.create", "api_key"], 4],
  [["api_key.revoke", "api_key"], 2],
  [["agent.start", "agent"], 140],
  [["agent.complete", "agent"], 110],
  [["agent.fail", "agent"], 14],
  [["agent.cancel", "agent"], 9],
  [["query.run", "query"], 200],
  [["query.export", "query"], 18],
  [["report.view", "report"], 150],
  [["report.create", "report"], 10],
  [["report.share", "report"], 6],
  [["team.invite", "team"], 5],
  [["team.remove_member", "team"], 2],
  [["settings.update", "user"], 8],
  [["index.recommendation_applied", "index"], 1],
]);

/** Actions with no user behind them: cron jobs and cache maintenance. */
export const SYSTEM_ACTIONS = new Weighted<readonly [string, ResourceKind]>([
  [["cron.rollup", "cache"], 50],
  [["cron.index_analysis", "index"], 10],
  [["cache.invalidate", "cache"], 40],
]);

export const SYSTEM_ACTION_SHARE = 0.02;

export const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/126.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edge/125.0",
  "Mozilla/5.0 (X11; Linux x86_64) Firefox/127.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5) Safari/605.1",
  "netra-cli/2.4.1",
  "python-requests/2.32",
] as const;

export const AGENT_KINDS = ["triage", "optimizer", "analyst", "reporter", "supervisor", "data_agent"] as const;
export const MODELS = ["gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4", "claude-haiku-4", "gemini-2.5-pro"] as const;
export const TABLE_NAMES = ["users", "audit_logs", "agent_states", "api_keys", "cron_runs"] as const;

export const AGENT_STATES = new Weighted([
  ["done", 55],
  ["failed", 8],
  ["idle", 15],
  ["running", 12],
  ["waiting", 10],
] as const);

/** Relative activity per UTC hour: quiet nights, a working-day plateau. */
export const HOURLY_ACTIVITY = new Weighted(
  [2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 13, 13, 12, 13, 13, 12, 11, 9, 7, 6, 5, 4, 3, 2].map(
    (weight, hour) => [hour, weight] as const,
  ),
);
