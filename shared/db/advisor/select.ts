/**
 * Chooses a set of indexes for the whole workload. Greedy with re-evaluation: each round
 * costs every remaining candidate with the already chosen ones in place (hypothetically),
 * so a candidate whose statements an earlier pick already serves loses its benefit instead
 * of being recommended twice. Net value = planner cost saved x calls, minus write
 * maintenance (rows written to the table x a per-row charge) and a size charge.
 */
import { servesPrefix, tableKey, type Catalog, type IndexInfo } from "./catalog.ts";
import { candidateKey, indexDdl, indexName } from "./ident.ts";
import { messageOf } from "./workload.ts";
import { usesHypothetical, type Hypothetical, type Planner } from "./planner.ts";
import type { AdvisorOptions, IndexCandidate, Recommendation, StatementEffect, WorkloadStatement } from "./types.ts";

const PAGE_BYTES = 8192;

/** An existing valid index already gives this candidate's lookups (same leading keys, includes covered). */
export function alreadyServed(candidate: IndexCandidate, indexes: readonly IndexInfo[]): boolean {
  return indexes.some(
    (index) =>
      index.schema === candidate.schema &&
      index.table === candidate.table &&
      servesPrefix(index, candidate.columns) &&
      candidate.include.every((c) => index.keys.includes(c) || index.include.includes(c)),
  );
}

interface Evaluation {
  candidate: IndexCandidate;
  net: number;
  benefit: number;
  overhead: number;
  bytes: number;
  effects: StatementEffect[];
}

export interface SelectionInput {
  workload: readonly WorkloadStatement[];
  candidates: readonly IndexCandidate[];
  tablesOf: ReadonlyMap<string, ReadonlySet<string>>;
  catalog: Catalog;
  options: AdvisorOptions;
  notes: string[];
  /** Per queryid, the text with representative values to cost instead of the statement's own. */
  costQueries?: ReadonlyMap<string, string>;
}

/** What-if selection with hypopg. Leaves the chosen hypothetical indexes in place until the planner session ends. */
export async function selectWithPlanner(planner: Planner, input: SelectionInput): Promise<Recommendation[]> {
  const { workload, catalog, options, notes } = input;
  const current = new Map<string, number>();
  const baseline = new Map<string, number>();
  const costable: WorkloadStatement[] = [];
  for (const statement of workload) {
    if (!input.tablesOf.has(statement.queryid)) continue;
    try {
      const { cost } = await planner.cost(input.costQueries?.get(statement.queryid) ?? statement.query);
      baseline.set(statement.queryid, cost);
      current.set(statement.queryid, cost);
      costable.push(statement);
    } catch (error) {
      notes.push(`statement ${statement.queryid} could not be costed (${messageOf(error)}); left out of the what-if`);
    }
  }
  const statementsOn = (candidate: IndexCandidate) => {
    const key = tableKey(candidate.schema, candidate.table);
    return costable.filter((s) => input.tablesOf.get(s.queryid)?.has(key));
  };

  let remaining = input.candidates.filter((c) => !alreadyServed(c, catalog.indexes));
  const cache = new Map<string, Evaluation>();
  const chosen: Recommendation[] = [];
  while (chosen.length < options.maxIndexes && remaining.length > 0) {
    let best: Evaluation | undefined;
    for (const candidate of remaining) {
      const key = candidateKey(candidate);
      let evaluation = cache.get(key);
      if (evaluation === undefined) {
        evaluation = await evaluate(planner, candidate, statementsOn(candidate), current, input);
        cache.set(key, evaluation);
      }
      if (evaluation.net > 0 && (best === undefined || evaluation.net > best.net)) best = evaluation;
    }
    if (best === undefined) break;
    const pick = best;
    // Kept in place: later rounds are costed with it, which is the interaction.
    await planner.createHypothetical(pick.candidate);
    for (const effect of pick.effects) current.set(effect.queryid, effect.costAfter);
    const touched = new Set(pick.effects.map((e) => e.queryid));
    remaining = remaining.filter((c) => c !== pick.candidate);
    for (const candidate of remaining) {
      if (statementsOn(candidate).some((s) => touched.has(s.queryid))) cache.delete(candidateKey(candidate));
    }
    const name = indexName(pick.candidate);
    chosen.push({
      ...pick.candidate,
      name,
      ddl: indexDdl(pick.candidate, name, true),
      benefit: round(pick.benefit),
      overhead: round(pick.overhead),
      estimatedBytes: pick.bytes,
      statements: pick.effects.map((e) => ({ ...e, costBefore: round(baseline.get(e.queryid) ?? e.costBefore), costAfter: round(e.costAfter) })),
      evidence: "what-if",
    });
  }
  return chosen;
}

async function evaluate(
  planner: Planner,
  candidate: IndexCandidate,
  statements: readonly WorkloadStatement[],
  current: ReadonlyMap<string, number>,
  { catalog, options, costQueries }: SelectionInput,
): Promise<Evaluation> {
  const table = catalog.tables.get(tableKey(candidate.schema, candidate.table));
  let hypothetical: Hypothetical;
  try {
    hypothetical = await planner.createHypothetical(candidate);
  } catch {
    return { candidate, net: 0, benefit: 0, overhead: 0, bytes: 0, effects: [] };
  }
  const effects: StatementEffect[] = [];
  let benefit = 0;
  try {
    for (const statement of statements) {
      const before = current.get(statement.queryid);
      if (before === undefined) continue;
      const plan = await planner.cost(costQueries?.get(statement.queryid) ?? statement.query);
      if (!usesHypothetical(plan, hypothetical) || plan.cost > before * (1 - options.minImprovement)) continue;
      benefit += (before - plan.cost) * statement.calls;
      effects.push({ queryid: statement.queryid, query: statement.query, calls: statement.calls, costBefore: before, costAfter: plan.cost });
    }
  } finally {
    await planner.dropHypothetical(hypothetical);
  }
  const overhead = (table?.writes ?? 0) * options.writeCostPerRow + (hypothetical.bytes / PAGE_BYTES) * options.sizeCostPerPage;
  return { candidate, net: effects.length > 0 ? benefit - overhead : 0, benefit, overhead, bytes: hypothetical.bytes, effects };
}

/**
 * Without hypopg: the most specific candidate of each statement (by total time), unless an
 * existing index already serves it, up to the maximum. Not proven: the report says so.
 */
export function selectByRules(input: SelectionInput, sources: ReadonlyMap<string, ReadonlySet<string>>): Recommendation[] {
  const { workload, catalog, options } = input;
  const chosen: Recommendation[] = [];
  const taken = new Set<string>();
  for (const statement of workload) {
    if (chosen.length >= options.maxIndexes) break;
    const own = input.candidates.filter(
      (c) => sources.get(candidateKey(c))?.has(statement.queryid) && c.include.length === 0 && !alreadyServed(c, catalog.indexes),
    );
    const best = own[0];
    if (best === undefined) continue;
    const table = catalog.tables.get(tableKey(best.schema, best.table));
    // A tiny table is read whole faster than through an index.
    if (table !== undefined && table.pages < 8) continue;
    const key = candidateKey(best);
    const covered = chosen.some((r) => r.table === best.table && r.schema === best.schema && best.columns.every((c, i) => r.columns[i] === c));
    if (taken.has(key) || covered) continue;
    taken.add(key);
    const name = indexName(best);
    chosen.push({
      ...best,
      name,
      ddl: indexDdl(best, name, true),
      benefit: round(statement.totalMs),
      overhead: round((table?.writes ?? 0) * options.writeCostPerRow),
      estimatedBytes: null,
      statements: [{ queryid: statement.queryid, query: statement.query, calls: statement.calls, costBefore: 0, costAfter: 0 }],
      evidence: "rule-based",
    });
  }
  return chosen;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
