/**
 * One advisor run over one session: capabilities, workload, candidates, selection
 * (what-if with hypopg, rule-based without), findings and, when asked, the builds.
 * Runs never overlap: a session advisory lock is taken with pg_try_advisory_lock, and
 * a second run gets AdvisorError ADVISOR_LOCKED at once instead of waiting.
 *
 * @example
 * const client = new pg.Client(url); await client.connect();
 * const report = await runAdvisor(client, { maxIndexes: 3 });
 */
import { readCatalog } from "./catalog.ts";
import { applyRecommendations } from "./apply.ts";
import { workloadCandidates } from "./candidates.ts";
import { duplicateIndexes, heavySeqScans, invalidIndexes, slowStatements, unusedIndexes } from "./findings.ts";
import { Planner } from "./planner.ts";
import { selectByRules, selectWithPlanner } from "./select.ts";
import { AdvisorError, DEFAULT_ADVISOR_OPTIONS, type AdvisorOptions, type AdvisorReport, type SqlExecutor } from "./types.ts";
import { detectCapabilities, readWorkload } from "./workload.ts";

/** Advisory-lock key of advisor runs ("netra-ix" as ASCII), distinct from the migration lock. */
export const ADVISOR_LOCK_KEY = 0x6e657472612d6978n;

export function resolveOptions(overrides: Partial<AdvisorOptions> = {}): AdvisorOptions {
  const options = { ...DEFAULT_ADVISOR_OPTIONS, ...overrides };
  for (const [name, value] of Object.entries(options)) {
    if (typeof value === "number" && (!Number.isFinite(value) || value < 0)) {
      throw new AdvisorError("ADVISOR_OPTIONS_INVALID", `advisor option ${name} must be a non-negative number`);
    }
  }
  return options;
}

/** Runs `work` holding the advisor lock on this session; throws ADVISOR_LOCKED when another run holds it. */
export async function withAdvisorLock<T>(db: SqlExecutor, work: () => Promise<T>): Promise<T> {
  const { rows } = await db.query(`SELECT pg_try_advisory_lock(${ADVISOR_LOCK_KEY}) AS locked`);
  if (rows[0]?.locked !== true) throw new AdvisorError("ADVISOR_LOCKED", "another index advisor run holds the lock");
  try {
    return await work();
  } finally {
    await db.query(`SELECT pg_advisory_unlock(${ADVISOR_LOCK_KEY})`).catch(() => undefined);
  }
}

/** Analyses the connected database under the run lock (see withAdvisorLock). */
export async function runAdvisor(db: SqlExecutor, overrides: Partial<AdvisorOptions> = {}): Promise<AdvisorReport> {
  const options = resolveOptions(overrides);
  return withAdvisorLock(db, () => analyse(db, options));
}

/** The analysis itself, without the lock (callers that hold it already). */
export async function analyse(db: SqlExecutor, options: AdvisorOptions): Promise<AdvisorReport> {
  const clock = options.now ?? (() => Date.now());
  const started = clock();
  const { rows } = await db.query("SELECT current_database() AS db");
  const database = String(rows[0]?.db ?? "");
  const capabilities = await detectCapabilities(db);
  const catalog = await readCatalog(db);
  const workload = capabilities.pgStatStatements ? await readWorkload(db, options) : [];
  const notes = capabilities.notes;
  const { candidates, sources, tablesOf, unparsed } = workloadCandidates(workload, catalog);
  if (unparsed.length > 0) notes.push(`${unparsed.length} statement(s) could not be parsed and gave no candidates: ${unparsed.join(", ")}`);
  const selection = { workload, candidates, tablesOf, catalog, options, notes };

  const planner = new Planner(db);
  let recommendations: AdvisorReport["recommendations"] = [];
  if (capabilities.mode === "what-if") {
    await planner.begin();
    try {
      recommendations = await selectWithPlanner(planner, selection);
    } finally {
      await planner.end(true);
    }
  } else if (capabilities.mode === "rule-based") {
    recommendations = selectByRules(selection, sources);
  }

  const now = clock();
  const findings = [
    ...invalidIndexes(catalog),
    ...duplicateIndexes(catalog),
    ...unusedIndexes(catalog, capabilities, now),
    ...heavySeqScans(catalog, options),
    ...slowStatements(workload, options),
  ];
  const applied = options.apply ? await applyRecommendations(db, recommendations, options) : [];
  return {
    database,
    startedAt: new Date(started).toISOString(),
    durationMs: Math.round(clock() - started),
    capabilities,
    workload,
    recommendations,
    findings,
    applied,
    evaluations: planner.evaluations,
  };
}
