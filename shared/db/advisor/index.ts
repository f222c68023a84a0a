/** The index advisor: analyse a Postgres workload, recommend (and optionally build) indexes. */
export { runAdvisor, analyse, resolveOptions, withAdvisorLock, ADVISOR_LOCK_KEY } from "./run.ts";
export { executeAdvisorRun, type AdvisorRunDeps, type AdvisorRunOutcome, type ExtraAnalysis } from "./service.ts";
export { postgresRunStore, summarise, type RunStore, type RunSummary, type StoredRun, type RunTrigger } from "./store.ts";
export { applyRecommendations, buildIndex } from "./apply.ts";
export { renderReport } from "./render.ts";
export * from "./types.ts";
