/**
 * Chooses a set of indexes for the whole workload. Greedy with re-evaluation: each round
 * costs every remaining candidate with the already chosen ones in place (hypothetically),
 * so a candidate whose statements an earlier pick already serves loses its benefit instead
 * of being recommended twice. Net value = planner cost saved x calls, minus write
 * maintenance (rows written to the table x a per-row charge) and a size charge. After the
 * greedy rounds: swaps (a pick against the composites that extend it) and pruning (a pick
 * the others cover is dropped); see selectWithPlanner.
 */
import { servesPrefix, tableKey, type Catalog, type IndexInfo, type TableInfo } from "./catalog.ts";
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
      // A default-opclass index does not serve a prefix LIKE under a non-C collation.
      (candidate.patternOps ?? []).length === 0 &&
      (candidate.descending ?? []).length === 0 &&
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

/** A pick with its hypothetical index (recreated when pruning puts it back). */
interface Pick {
  evaluation: Evaluation;
  hypothetical: Hypothetical;
}

/**
 * What-if selection with hypopg, for the whole workload: greedy by net value with the picks
 * so far in place; a pick must save more than its overhead and at least `minBenefitShare` of
 * the workload's cost (the marginal-benefit stop; `maxIndexes` is only a safety cap). Then each
 * pick is taken out again and dropped for good when the others cover what it did (its marginal
 * value no longer pays). Leaves the chosen hypothetical indexes in place until the session ends.
 */
export async function selectWithPlanner(planner: Planner, input: SelectionInput): Promise<Recommendation[]> {
  const { workload, catalog, options, notes } = input;
  const current = new Map<string, number>();
  const baseline = new Map<string, number>();
  const costable: WorkloadStatement[] = [];
  const textOf = (statement: WorkloadStatement) => input.costQueries?.get(statement.queryid) ?? statement.query;
  for (const statement of workload) {
    if (!input.tablesOf.has(statement.queryid)) continue;
    try {
      const { cost } = await planner.cost(textOf(statement));
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
  const workloadCost = costable.reduce((sum, s) => sum + (baseline.get(s.queryid) ?? 0) * s.calls, 0);
  const floor = workloadCost * options.minBenefitShare;

  let remaining = input.candidates.filter((c) => !alreadyServed(c, catalog.indexes));
  const cache = new Map<string, Evaluation>();
  const picks: Pick[] = [];
  while (picks.length < options.maxIndexes && remaining.length > 0) {
    let best: Evaluation | undefined;
    for (const candidate of remaining) {
      const key = candidateKey(candidate);
      let evaluation = cache.get(key);
      if (evaluation === undefined) {
        evaluation = await evaluate(planner, candidate, statementsOn(candidate), current, input);
        cache.set(key, evaluation);
      }
      if (evaluation.net > floor && (best === undefined || evaluation.net > best.net)) best = evaluation;
    }
    if (best === undefined) break;
    const pick = best;
    // Kept in place: later rounds are costed with it, which is the interaction.
    picks.push({ evaluation: pick, hypothetical: await planner.createHypothetical(pick.candidate) });
    for (const effect of pick.effects) current.set(effect.queryid, effect.costAfter);
    const touched = new Set(pick.effects.map((e) => e.queryid));
    remaining = remaining.filter((c) => c !== pick.candidate);
    for (const candidate of remaining) {
      if (statementsOn(candidate).some((s) => touched.has(s.queryid))) cache.delete(candidateKey(candidate));
    }
  }

  const costAll = async (statements: readonly WorkloadStatement[]) => {
    const out = new Map<string, { cost: number; indexes: string[] }>();
    for (const s of statements) out.set(s.queryid, await planner.cost(textOf(s)));
    return out;
  };
  const totalOf = (costs: ReadonlyMap<string, { cost: number }>, statements: readonly WorkloadStatement[]) =>
    statements.reduce((sum, s) => sum + costs.get(s.queryid)!.cost * s.calls, 0);

  // Swaps: a pick against the composites that extend it (same table, all its keys and more).
  // Greedy takes the index that helps most statements a little; a composite that serves some
  // of them completely can be worth more for the whole set, which only a swap shows.
  for (const pick of picks) {
    const alternatives = input.candidates.filter(
      (c) =>
        c.schema === pick.evaluation.candidate.schema &&
        c.table === pick.evaluation.candidate.table &&
        c.columns.length > pick.evaluation.candidate.columns.length &&
        pick.evaluation.candidate.columns.every((k) => c.columns.includes(k)) &&
        !picks.some((p) => candidateKey(p.evaluation.candidate) === candidateKey(c)),
    );
    if (alternatives.length === 0) continue;
    const on = statementsOn(pick.evaluation.candidate);
    let bestValue = -totalOf(await costAll(on), on) - pick.evaluation.overhead;
    let bestAlternative: { candidate: IndexCandidate; hypothetical: Hypothetical } | undefined;
    await planner.dropHypothetical(pick.hypothetical);
    for (const candidate of alternatives) {
      const hypothetical = await planner.createHypothetical(candidate).catch(() => undefined);
      if (hypothetical === undefined) continue;
      const table = catalog.tables.get(tableKey(candidate.schema, candidate.table));
      const value = -totalOf(await costAll(on), on) - overheadOf(table, hypothetical.bytes, options);
      await planner.dropHypothetical(hypothetical);
      if (value > bestValue) {
        bestValue = value;
        bestAlternative = { candidate, hypothetical };
      }
    }
    if (bestAlternative === undefined) {
      pick.hypothetical = await planner.createHypothetical(pick.evaluation.candidate);
      continue;
    }
    const replaced = indexName(pick.evaluation.candidate);
    pick.hypothetical = await planner.createHypothetical(bestAlternative.candidate);
    const table = catalog.tables.get(tableKey(bestAlternative.candidate.schema, bestAlternative.candidate.table));
    const overhead = overheadOf(table, pick.hypothetical.bytes, options);
    pick.evaluation = { candidate: bestAlternative.candidate, net: pick.evaluation.net, benefit: pick.evaluation.benefit, overhead, bytes: pick.hypothetical.bytes, effects: [] };
    notes.push(`swapped ${replaced} for ${indexName(bestAlternative.candidate)}: worth more for the whole workload`);
  }

  // Pruning: the cheapest picks first, each costed against all the others.
  for (const pick of [...picks].sort((a, b) => a.evaluation.net - b.evaluation.net)) {
    if (picks.length <= 1) break;
    const on = statementsOn(pick.evaluation.candidate);
    const withIt = await costAll(on);
    await planner.dropHypothetical(pick.hypothetical);
    const without = await costAll(on);
    let loss = 0;
    for (const s of on) loss += Math.max(0, without.get(s.queryid)!.cost - withIt.get(s.queryid)!.cost) * s.calls;
    if (loss - pick.evaluation.overhead > floor) {
      pick.hypothetical = await planner.createHypothetical(pick.evaluation.candidate);
    } else {
      picks.splice(picks.indexOf(pick), 1);
      notes.push(`dropped ${indexName(pick.evaluation.candidate)} after selection: the other picks cover it (it would save only ${round(loss)} against overhead ${round(pick.evaluation.overhead)})`);
    }
  }

  // Final attribution with every pick in place: which statements read which pick, and at what cost.
  const final = await costAll(costable);
  return picks.map(({ evaluation, hypothetical }) => {
    const candidate = evaluation.candidate;
    const effects = costable
      .filter((s) => usesHypothetical(final.get(s.queryid)!, hypothetical))
      .map((s) => ({ queryid: s.queryid, query: s.query, calls: s.calls, costBefore: round(baseline.get(s.queryid)!), costAfter: round(final.get(s.queryid)!.cost) }));
    const name = indexName(candidate);
    return {
      ...candidate,
      name,
      ddl: indexDdl(candidate, name, true),
      benefit: round(effects.reduce((sum, e) => sum + (e.costBefore - e.costAfter) * e.calls, 0)),
      overhead: round(evaluation.overhead),
      estimatedBytes: evaluation.bytes,
      statements: effects,
      evidence: "what-if" as const,
    };
  });
}

/** Write maintenance (rows written x a per-row charge) plus a size charge, in planner cost units. */
function overheadOf(table: TableInfo | undefined, bytes: number, options: AdvisorOptions): number {
  return (table?.writes ?? 0) * options.writeCostPerRow + (bytes / PAGE_BYTES) * options.sizeCostPerPage;
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
  const overhead = overheadOf(table, hypothetical.bytes, options);
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
