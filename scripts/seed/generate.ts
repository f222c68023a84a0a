/**
 * Deterministic row generators for the Netra domain. Each table draws from its own forked
 * stream, so changing one count never changes another table's rows. Rows come out in
 * column-major batches ready for `unnest`.
 */
import { Random, Zipf } from "./random.ts";
import type { ColumnBatch } from "./tables.ts";
import {
  AGENT_KINDS,
  AGENT_STATES,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  HOURLY_ACTIVITY,
  LAST_NAMES,
  MODELS,
  PLAN_TIERS,
  ROLES,
  SYSTEM_ACTIONS,
  SYSTEM_ACTION_SHARE,
  TABLE_NAMES,
  USER_ACTIONS,
  USER_AGENTS,
  type ResourceKind,
} from "./vocabulary.ts";

export interface SeedShape {
  users: number;
  auditLogs: number;
  agentStates: number;
  seed: number;
  /** Timestamps end here (epoch ms); audit logs and agent sessions span the 90 days before it. */
  anchorMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ACTIVITY_WINDOW = 90 * DAY;
const SIGNUP_WINDOW = 730 * DAY;
/** Activity per user follows Zipf: a few power users, a long tail of occasional ones. */
const ACTIVITY_EXPONENT = 0.95;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Shared by the audit-log and agent-state generators: who is active, in a seed-fixed order. */
function activityByUser(shape: SeedShape): Zipf | undefined {
  if (shape.users === 0) return undefined;
  const ranks = new Random(shape.seed).fork(0x5a1f).permutation(shape.users);
  return new Zipf(shape.users, ACTIVITY_EXPONENT, ranks);
}

export function* userBatches(shape: SeedShape, batchSize: number): Generator<ColumnBatch> {
  const random = new Random(shape.seed).fork(0x0515);
  const start = shape.anchorMs - SIGNUP_WINDOW;
  for (let first = 1; first <= shape.users; first += batchSize) {
    const rows = Math.min(batchSize, shape.users - first + 1);
    const columns: unknown[][] = [[], [], [], [], [], [], []];
    const [ids, emails, names, tiers, roles, created, updated] = columns as [
      number[], string[], (string | null)[], string[], string[], string[], string[],
    ];
    for (let id = first; id < first + rows; id++) {
      const given = random.pick(FIRST_NAMES);
      const family = random.pick(LAST_NAMES);
      const email = `${given}.${family}${id}@${random.pick(EMAIL_DOMAINS)}`;
      // Sign-ups accelerate (cumulative users ∝ t²) and ids follow sign-up order.
      const signedUp = start + Math.floor(Math.sqrt((id - 1 + random.next()) / shape.users) * (SIGNUP_WINDOW - DAY));
      ids.push(id);
      // Some people type their address with capitals: the unique index is on lower(email).
      emails.push(random.chance(0.08) ? email : email.toLowerCase());
      names.push(random.chance(0.06) ? null : `${given} ${family}`);
      tiers.push(PLAN_TIERS.draw(random));
      roles.push(ROLES.draw(random));
      created.push(iso(signedUp));
      updated.push(iso(random.chance(0.4) ? signedUp + Math.floor(random.next() * (shape.anchorMs - signedUp)) : signedUp));
    }
    yield { rows, columns };
  }
}

/** Ascending timestamps over the activity window: growing traffic, a daily rhythm. */
function auditTimestamps(random: Random, count: number, anchorMs: number): Float64Array {
  const start = anchorMs - ACTIVITY_WINDOW;
  const days = ACTIVITY_WINDOW / DAY;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const day = Math.min(days - 1, Math.floor(Math.sqrt(random.next()) * days));
    const hour = HOURLY_ACTIVITY.draw(random);
    out[i] = start + day * DAY + hour * HOUR + Math.floor(random.next() * HOUR);
  }
  // Append-only in real life: ids grow with time, which is what the planner will see.
  return out.sort();
}

function resourceFor(kind: ResourceKind, userId: number | null, random: Random): string {
  switch (kind) {
    case "user":
    case "billing":
      return `${kind}/${userId ?? 0}`;
    case "session":
      return `session/${random.hex(16)}`;
    case "agent":
      return `agent_session/${random.uuid()}`;
    case "api_key":
      return `api_key/nk_${random.hex(8)}`;
    case "query":
      return `query/${random.int(1, 5_000)}`;
    case "report":
      return `report/${random.int(1, 2_000)}`;
    case "team":
      return `team/${random.int(1, 500)}`;
    case "index":
    case "cache":
      return `${kind}/${random.pick(TABLE_NAMES)}`;
  }
}

function auditMetadata(action: string, random: Random, system: boolean): string {
  const metadata: Record<string, unknown> = system
    ? { source: "cron", ok: random.chance(0.99) }
    : {
        ip: `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`,
        user_agent: random.pick(USER_AGENTS),
        ok: action !== "auth.login_failed" && action !== "agent.fail",
      };
  metadata.latency_ms = Math.round(Math.exp(random.next() * 6) * 10) / 10;
  if (action.startsWith("query.")) {
    metadata.table = random.pick(TABLE_NAMES);
    metadata.rows = random.int(0, 50_000);
  } else if (action.startsWith("agent.")) {
    metadata.agent = random.pick(AGENT_KINDS);
    metadata.model = random.pick(MODELS);
    metadata.tokens = random.int(200, 60_000);
  } else if (action === "user.change_plan") {
    metadata.from = PLAN_TIERS.draw(random);
    metadata.to = PLAN_TIERS.draw(random);
  } else if (action === "auth.login_failed") {
    metadata.reason = random.pick(["bad_password", "unknown_user", "mfa_failed", "locked"]);
  }
  return JSON.stringify(metadata);
}

export function* auditLogBatches(shape: SeedShape, batchSize: number): Generator<ColumnBatch> {
  const random = new Random(shape.seed).fork(0xa0d1);
  const activity = activityByUser(shape);
  const timestamps = auditTimestamps(random, shape.auditLogs, shape.anchorMs);
  for (let first = 0; first < shape.auditLogs; first += batchSize) {
    const rows = Math.min(batchSize, shape.auditLogs - first);
    const columns: unknown[][] = [[], [], [], [], [], []];
    const [ids, occurred, users, actions, resources, metadata] = columns as [
      number[], string[], (number | null)[], string[], string[], string[],
    ];
    for (let i = first; i < first + rows; i++) {
      const system = activity === undefined || random.chance(SYSTEM_ACTION_SHARE);
      const userId = system ? null : activity.draw(random);
      const [action, kind] = (system ? SYSTEM_ACTIONS : USER_ACTIONS).draw(random);
      ids.push(i + 1);
      occurred.push(iso(timestamps[i]!));
      users.push(userId);
      actions.push(action);
      resources.push(resourceFor(kind, userId, random));
      metadata.push(auditMetadata(action, random, system));
    }
    yield { rows, columns };
  }
}

export function* agentStateBatches(shape: SeedShape, batchSize: number): Generator<ColumnBatch> {
  const random = new Random(shape.seed).fork(0xa6e7);
  const activity = activityByUser(shape);
  if (activity === undefined && shape.agentStates > 0) throw new Error("agent states need at least one user");
  const seen = new Set<string>();
  for (let first = 0; first < shape.agentStates; first += batchSize) {
    const rows = Math.min(batchSize, shape.agentStates - first);
    const columns: unknown[][] = [[], [], [], [], [], [], []];
    const [sessions, users, states, data, versions, created, updated] = columns as [
      string[], number[], string[], string[], number[], string[], string[],
    ];
    for (let i = 0; i < rows; i++) {
      let session = random.uuid();
      while (seen.has(session)) session = random.uuid();
      seen.add(session);
      const state = AGENT_STATES.draw(random);
      const finished = state === "done" || state === "failed";
      // Live sessions are recent; finished ones span the whole window.
      const createdAt = shape.anchorMs - Math.floor(random.next() * (finished ? ACTIVITY_WINDOW : 2 * DAY));
      const lasted = finished ? random.int(5_000, 2 * HOUR) : random.int(1_000, 10 * MINUTE);
      const step = random.int(1, 40);
      const body: Record<string, unknown> = {
        agent: random.pick(AGENT_KINDS),
        model: random.pick(MODELS),
        step,
        messages: step * random.int(1, 4),
        tokens: step * random.int(300, 4_000),
      };
      if (state === "failed") body.error = random.pick(["timeout", "rate_limited", "tool_error", "context_overflow"]);
      if (state === "waiting") body.waiting_for = random.pick(["tool", "user", "approval"]);
      sessions.push(session);
      users.push(activity!.draw(random));
      states.push(state);
      data.push(JSON.stringify(body));
      versions.push(state === "idle" ? random.int(1, 3) : random.int(2, 30));
      created.push(iso(createdAt));
      updated.push(iso(Math.min(shape.anchorMs, createdAt + lasted)));
    }
    yield { rows, columns };
  }
}
