/**
 * The planner as an oracle: the estimated cost of a statement as it stands, and with
 * hypothetical indexes (hypopg) that exist only in this session. Statements from
 * pg_stat_statements carry $n placeholders, so each is PREPAREd and EXPLAINed with
 * plan_cache_mode = force_generic_plan: the plan every call with unknown values gets,
 * independent of the (NULL) arguments passed to EXECUTE.
 */
import { indexDdl } from "./ident.ts";
import type { IndexCandidate, SessionExecutor } from "./types.ts";

export interface PlanCost {
  cost: number;
  /** Index names the plan reads (hypothetical ones look like `<oid>btree_...`). */
  indexes: string[];
}

export interface Hypothetical {
  oid: number;
  name: string;
  bytes: number;
}

const STATEMENT_NAME = "netra_advisor_stmt";

/** The highest $n in the text: how many arguments EXECUTE needs. */
export function parameterCount(sql: string): number {
  let max = 0;
  for (const match of sql.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(match[1]));
  return max;
}

export type PlanNode = Record<string, unknown>;

function planOf(rows: Record<string, unknown>[]): PlanNode {
  const raw = rows[0]?.["QUERY PLAN"];
  const parsed: unknown = typeof raw === "string" ? JSON.parse(raw) : raw;
  const first = Array.isArray(parsed) ? parsed[0] : undefined;
  const plan = typeof first === "object" && first !== null ? (first as Record<string, unknown>).Plan : undefined;
  if (typeof plan !== "object" || plan === null) throw new Error("EXPLAIN returned no plan");
  return plan as Record<string, unknown>;
}

function indexNames(node: Record<string, unknown>, into: string[]): string[] {
  if (typeof node["Index Name"] === "string") into.push(node["Index Name"]);
  const children = node.Plans;
  if (Array.isArray(children)) for (const child of children) if (typeof child === "object" && child !== null) indexNames(child as Record<string, unknown>, into);
  return into;
}

export class Planner {
  /** EXPLAINs made so far (the report's `evaluations`). */
  evaluations = 0;

  constructor(private readonly db: SessionExecutor) {}

  async begin(): Promise<void> {
    await this.db.query("SET plan_cache_mode = force_generic_plan");
  }

  /** Leaves the session as it found it: no hypothetical indexes, no prepared statement, default plan cache. */
  async end(hypopg: boolean): Promise<void> {
    await this.db.query(`DEALLOCATE ALL`).catch(() => undefined);
    if (hypopg) await this.db.query("SELECT hypopg_reset()").catch(() => undefined);
    await this.db.query("RESET plan_cache_mode").catch(() => undefined);
  }

  /** The planner's total cost for the statement; throws when it cannot be prepared (e.g. untyped $n). */
  async cost(sql: string): Promise<PlanCost> {
    const plan = await this.plan(sql, false);
    return { cost: Number(plan["Total Cost"]), indexes: indexNames(plan, []) };
  }

  /** The generic plan's root node; VERBOSE qualifies every column with its alias (for plan-usage.ts). */
  async plan(sql: string, verbose: boolean): Promise<PlanNode> {
    this.evaluations += 1;
    const format = verbose ? "FORMAT JSON, VERBOSE" : "FORMAT JSON";
    const params = parameterCount(sql);
    if (params === 0) return planOf((await this.db.query(`EXPLAIN (${format}) ${sql}`)).rows);
    await this.db.query(`PREPARE ${STATEMENT_NAME} AS ${sql}`);
    try {
      const args = Array.from({ length: params }, () => "NULL").join(", ");
      return planOf((await this.db.query(`EXPLAIN (${format}) EXECUTE ${STATEMENT_NAME}(${args})`)).rows);
    } finally {
      // Deallocated every time: a cached generic plan would not see hypothetical indexes added later.
      await this.db.query(`DEALLOCATE ${STATEMENT_NAME}`);
    }
  }

  async createHypothetical(candidate: IndexCandidate): Promise<Hypothetical> {
    const ddl = indexDdl(candidate, "hypo", false);
    const { rows } = await this.db.query(
      "SELECT indexrelid::int AS oid, indexname AS name, hypopg_relation_size(indexrelid)::float8 AS bytes FROM hypopg_create_index($1)",
      [ddl],
    );
    const row = rows[0];
    if (row === undefined) throw new Error(`hypopg did not create ${ddl}`);
    return { oid: Number(row.oid), name: String(row.name), bytes: Number(row.bytes) };
  }

  async dropHypothetical(hypothetical: Hypothetical): Promise<void> {
    await this.db.query("SELECT hypopg_drop_index($1)", [hypothetical.oid]);
  }
}

/** True when the plan reads this hypothetical index. */
export function usesHypothetical(plan: PlanCost, hypothetical: Hypothetical): boolean {
  return plan.indexes.some((name) => name === hypothetical.name || name.startsWith(`<${hypothetical.oid}>`));
}
