/**
 * Alert state in Redis: one hash per rule (version, tick, state JSON) and a
 * capped list of recent events. All reads and writes go through Lua scripts, so
 * the only Redis capability the core needs is EVAL/EVALSHA (which the Upstash
 * REST API and its local endpoint both serve).
 *
 * @example
 * const store = redisAlertStore(upstashRedis(config.redis), { prefix: "netra:alerts:" });
 * const states = await store.load(["latency-p95"]);
 */
import type { AlertEvent } from "./events.ts";
import { INITIAL_STATE, type AlertState } from "./lifecycle.ts";
import { COMMIT_SCRIPT, HISTORY_SCRIPT, LOAD_SCRIPT } from "./redis-scripts.ts";

/** The slice of a Redis client the store uses; @upstash/redis's `Redis` satisfies it. */
export interface ScriptRedis {
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
}

export interface VersionedState {
  version: number;
  state: AlertState;
}

export interface AlertStateStore {
  /** The stored state of each rule (INITIAL_STATE at version 0 when none). */
  load(ruleIds: readonly string[]): Promise<Map<string, VersionedState>>;
  /** Stores `next` if nobody changed the rule since `expectedVersion` and its tick moves forward; true when applied. */
  commit(ruleId: string, expectedVersion: number, next: AlertState, event: AlertEvent | undefined): Promise<boolean>;
  /** Recent firing/resolved events, newest first. */
  history(limit: number): Promise<AlertEvent[]>;
}

export class AlertStoreError extends Error {
  readonly code = "alert_store_failed";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AlertStoreError";
  }
}

export interface RedisAlertStoreOptions {
  /** Key prefix; tests use a unique one. */
  prefix?: string;
  /** History entries kept. */
  historyLimit?: number;
  /** State and history expire when no evaluation touches them for this long (a rule removed from config). */
  ttlSeconds?: number;
}

const shaCache = new Map<string, Promise<string>>();

function sha1(script: string): Promise<string> {
  let hash = shaCache.get(script);
  if (hash === undefined) {
    hash = crypto.subtle.digest("SHA-1", new TextEncoder().encode(script)).then((buf) =>
      [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    );
    shaCache.set(script, hash);
  }
  return hash;
}

/** EVALSHA, and EVAL once when Redis does not know the script yet (a restart, a new replica). */
async function runScript(redis: ScriptRedis, script: string, keys: string[], args: string[]): Promise<unknown> {
  const hash = await sha1(script);
  try {
    return await redis.evalsha(hash, keys, args);
  } catch (error) {
    if (!String(error instanceof Error ? error.message : error).includes("NOSCRIPT")) throw error;
    return redis.eval(script, keys, args);
  }
}

/** REST clients may hand back JSON strings already parsed: accept both. */
function fromJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (value === "") return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

const STATUSES = new Set(["inactive", "pending", "firing", "resolved"]);

/** A stored state from an older or foreign writer restarts the rule rather than breaking the run. */
function asState(value: unknown): AlertState {
  const raw = fromJson(value);
  if (typeof raw !== "object" || raw === null) return INITIAL_STATE;
  const candidate = raw as Partial<AlertState>;
  if (typeof candidate.status !== "string" || !STATUSES.has(candidate.status) || typeof candidate.tick !== "number") return INITIAL_STATE;
  return { ...INITIAL_STATE, ...candidate };
}

function asEvent(value: unknown): AlertEvent | undefined {
  const raw = fromJson(value);
  if (typeof raw !== "object" || raw === null) return undefined;
  const event = raw as Partial<AlertEvent>;
  return typeof event.id === "string" && (event.kind === "firing" || event.kind === "resolved") ? (event as AlertEvent) : undefined;
}

export function redisAlertStore(redis: ScriptRedis, options: RedisAlertStoreOptions = {}): AlertStateStore {
  const prefix = options.prefix ?? "netra:alerts:";
  const historyLimit = options.historyLimit ?? 200;
  const ttlSeconds = options.ttlSeconds ?? 30 * 86_400;
  const stateKey = (ruleId: string) => `${prefix}state:${ruleId}`;
  const historyKey = `${prefix}history`;

  const wrap = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new AlertStoreError(`alert state ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };

  return {
    load: (ruleIds) =>
      wrap("load", async () => {
        const states = new Map<string, VersionedState>();
        if (ruleIds.length === 0) return states;
        const reply = await runScript(redis, LOAD_SCRIPT, ruleIds.map(stateKey), []);
        const rows = Array.isArray(reply) ? reply : [];
        ruleIds.forEach((ruleId, index) => {
          const row: unknown = rows[index];
          const [version, state] = Array.isArray(row) ? row : [];
          states.set(ruleId, { version: Number(version ?? 0) || 0, state: asState(state) });
        });
        return states;
      }),
    commit: (ruleId, expectedVersion, next, event) =>
      wrap("commit", async () => {
        const args = [String(expectedVersion), String(next.tick), JSON.stringify(next), String(ttlSeconds), event ? JSON.stringify(event) : "", String(historyLimit)];
        const applied = await runScript(redis, COMMIT_SCRIPT, [stateKey(ruleId), historyKey], args);
        return Number(applied) === 1;
      }),
    history: (limit) =>
      wrap("history read", async () => {
        const reply = await runScript(redis, HISTORY_SCRIPT, [historyKey], [String(Math.max(1, Math.min(limit, historyLimit)))]);
        return (Array.isArray(reply) ? reply : []).map(asEvent).filter((e): e is AlertEvent => e !== undefined);
      }),
  };
}
