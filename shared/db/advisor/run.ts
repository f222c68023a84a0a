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
import { analyseWorkload, workloadCandidates } from "./analysis.ts";
import { duplicateIndexes, heavySeqScans, invalidIndexes, missingStatistics, slowStatements, unusedIndexes } from "./findings.ts";
import { Planner } from "./planner.ts";
import { selectByRules, selectWithPlanner } from "./select.ts";
import { AdvisorError, DEFAULT_ADVISOR_OPTIONS, type AdvisorOptions, type AdvisorReport, type SessionExecutor } from "./types.ts";
import { baselinesFor, standingVerifications, verifyBuilds, type BuildBaseline, type Verification } from "./verify.ts";
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
export async function withAdvisorLock<T>(db: SessionExecutor, work: () => Promise<T>): Promise<T> {
  const { rows } = await db.query(`SELECT pg_try_advisory_lock(${ADVISOR_LOCK_KEY}) AS locked`);
  if (rows[0]?.locked !== true) throw new AdvisorError("ADVISOR_LOCKED", "another index advisor run holds the lock");
  try {
    return await work();
  } finally {
    await db.query(`SELECT pg_advisory_unlock(${ADVISOR_LOCK_KEY})`).catch(() => undefined);
  }
}

/** Says for each statement which recommendations serve it, or why none does. */
function describeOutcomes(coverage: AdvisorReport["coverage"], recommendations: AdvisorReport["recommendations"]): void {
  for (const entry of coverage) {
    const serving = recommendations.filter((r) => r.statements.some((e) => e.queryid === entry.queryid)).map((r) => r.name);
    if (serving.length > 0) entry.outcome = `served by ${serving.join(", ")}`;
    else if (entry.candidates > 0) entry.outcome = "no candidate was worth its cost for it (an existing index already serves it, or none cut its planner cost enough)";
    else entry.outcome = entry.reason ?? "no candidates";
  }
}

/** Analyses the connected database under the run lock (see withAdvisorLock). */
export async function runAdvisor(db: SessionExecutor, overrides: Partial<AdvisorOptions> = {}): Promise<AdvisorReport> {
  const options = resolveOptions(overrides);
  return withAdvisorLock(db, () => analyse(db, options));
}

/**
 * The analysis itself, without the lock (callers that hold it already). `earlier` are the
 * builds of earlier runs still to be judged; `measured` the earlier runs' measurements, carried
 * forward for the indexes still in place.
 */
export async function analyse(
  db: SessionExecutor,
  options: AdvisorOptions,
  earlier: readonly BuildBaseline[] = [],
  measured: readonly Verification[] = [],
): Promise<AdvisorReport> {
  const clock = options.now ?? (() => Date.now());
  const started = clock();
  const { rows } = await db.query("SELECT current_database() AS db");
  const database = String(rows[0]?.db ?? "");
  const capabilities = await detectCapabilities(db);
  // Earlier builds first: an index dropped for not paying off is then gone from the catalog.
  const judged = capabilities.pgStatStatements ? await verifyBuilds(db, earlier, options.apply, new Date(clock())) : [];
  const catalog = await readCatalog(db);
  const verification = [...judged, ...standingVerifications(measured, judged, catalog.indexes)];
  const workload = capabilities.pgStatStatements ? await readWorkload(db, options) : [];
  const notes = capabilities.notes;
  const planner = new Planner(db);
  let recommendations: AdvisorReport["recommendations"] = [];
  let coverage: AdvisorReport["coverage"] = [];
  if (capabilities.mode !== "none") {
    await planner.begin();
    try {
      const analysed = await analyseWorkload(db, planner, workload, catalog);
      const found = workloadCandidates(analysed);
      coverage = found.coverage;
      const unread = coverage.filter((c) => c.candidates === 0);
      if (unread.length > 0) notes.push(`${unread.length} statement(s) gave no candidates: ${unread.map((c) => `${c.queryid} (${c.reason})`).join("; ")}`);
      const selection = { workload, candidates: found.candidates, tablesOf: found.tablesOf, catalog, options, notes, costQueries: found.costQueries };
      recommendations = capabilities.mode === "what-if" ? await selectWithPlanner(planner, selection) : selectByRules(selection, found.sources);
    } finally {
      await planner.end(capabilities.hypopg);
    }
    describeOutcomes(coverage, recommendations);
  }

  const now = clock();
  const findings = [
    ...missingStatistics(catalog, workload),
    ...invalidIndexes(catalog),
    ...duplicateIndexes(catalog),
    ...unusedIndexes(catalog, capabilities, now),
    ...heavySeqScans(catalog, options),
    ...slowStatements(workload, options),
  ];
  const applied = options.apply ? await applyRecommendations(db, recommendations, options) : [];
  const built = recommendations.filter((r) => applied.some((b) => b.name === r.name && b.status === "created"));
  const pending = earlier.filter((b) => verification.some((v) => v.name === b.name && v.action === "pending"));
  const baselines = [...pending, ...(capabilities.pgStatStatements ? await baselinesFor(db, built, workload, new Date(clock())) : [])];
  return {
    database,
    startedAt: new Date(started).toISOString(),
    durationMs: Math.round(clock() - started),
    capabilities,
    workload,
    coverage,
    recommendations,
    findings,
    applied,
    verification,
    baselines,
    evaluations: planner.evaluations,
  };
}
