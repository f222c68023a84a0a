/**
 * A delivered advisor run (cron, on-demand trigger, CLI): idempotent by trigger key,
 * never overlapping (the session advisory lock), its report stored in Postgres and its
 * summary handed to an event sink (ClickHouse). Every dependency is passed in.
 *
 * @example
 * const outcome = await executeAdvisorRun({ session, store: postgresRunStore(session), triggerKey: "cron:2026-11-29T06:17:00.000Z", trigger: "cron" });
 */
import { analyse, resolveOptions, withAdvisorLock } from "./run.ts";
import { summarise, type RunStore, type RunSummary, type RunTrigger } from "./store.ts";
import { messageOf } from "./workload.ts";
import type { BuildBaseline, Verification } from "./verify.ts";
import { AdvisorError, type AdvisorOptions, type AdvisorReport, type SessionExecutor } from "./types.ts";

/** The ClickHouse side's contribution to a run's report (shared/analytics/advisor). */
export interface ExtraAnalysis {
  findings: readonly unknown[];
  notes: readonly string[];
}

export interface AdvisorRunDeps {
  /** A real session: the lock, hypopg and CREATE INDEX CONCURRENTLY need one. */
  session: SessionExecutor;
  store: RunStore;
  triggerKey: string;
  trigger: RunTrigger;
  options?: Partial<AdvisorOptions>;
  /** The ClickHouse analysis; its failure is a note in the report, not a failed run. */
  clickhouse?: () => Promise<ExtraAnalysis>;
  /** Receives the summary of a finished run (e.g. a ClickHouse insert); failures are notes. */
  emit?: (runId: string, summary: RunSummary, report: AdvisorReport) => Promise<void>;
}

export interface AdvisorRunOutcome {
  runId: string | undefined;
  status: "ok" | "skipped" | "error";
  reason?: string;
  summary?: RunSummary;
  report?: AdvisorReport & { clickhouse?: ExtraAnalysis };
}

/** A stored report's baselines, read defensively (JSON written by an earlier version, maybe). */
function baselinesOf(report: unknown): BuildBaseline[] {
  if (typeof report !== "object" || report === null || !("baselines" in report) || !Array.isArray(report.baselines)) return [];
  return report.baselines.filter(
    (b): b is BuildBaseline =>
      typeof b === "object" && b !== null && typeof b.name === "string" && typeof b.schema === "string" && Array.isArray(b.statements) && typeof b.totals === "object",
  );
}

/** A stored report's measurements, read as defensively. */
function verificationsOf(report: unknown): Verification[] {
  if (typeof report !== "object" || report === null || !("verification" in report) || !Array.isArray(report.verification)) return [];
  return report.verification.filter(
    (v): v is Verification =>
      typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.table === "string" && typeof v.action === "string" && Array.isArray(v.statements),
  );
}

export async function executeAdvisorRun(deps: AdvisorRunDeps): Promise<AdvisorRunOutcome> {
  const options = resolveOptions(deps.options);
  const runId = await deps.store.start(deps.triggerKey, deps.trigger, options.apply);
  if (runId === undefined) {
    const existing = await deps.store.byKey(deps.triggerKey);
    return { runId: existing?.id, status: "skipped", reason: `a run for trigger key ${deps.triggerKey} exists already` };
  }
  try {
    // The builds of the latest finished run are judged now that traffic has run on them;
    // its measurements of indexes still in place are carried forward.
    const previous = (await deps.store.latest())?.report;
    const report: AdvisorReport & { clickhouse?: ExtraAnalysis } = await withAdvisorLock(deps.session, () =>
      analyse(deps.session, options, baselinesOf(previous), verificationsOf(previous)),
    );
    if (deps.clickhouse) {
      try {
        report.clickhouse = await deps.clickhouse();
      } catch (error) {
        report.capabilities.notes.push(`ClickHouse analysis failed: ${messageOf(error)}`);
      }
    }
    const summary = summarise(report, report.clickhouse?.findings.length ?? 0);
    if (deps.emit) {
      await deps.emit(runId, summary, report).catch((error: unknown) => {
        report.capabilities.notes.push(`summary event not written: ${messageOf(error)}`);
      });
    }
    await deps.store.finish(runId, "ok", { summary, report });
    return { runId, status: "ok", summary, report };
  } catch (error) {
    if (error instanceof AdvisorError && error.code === "ADVISOR_LOCKED") {
      await deps.store.finish(runId, "skipped", { summary: { reason: error.message } });
      return { runId, status: "skipped", reason: error.message };
    }
    await deps.store.finish(runId, "error", { error: messageOf(error) }).catch(() => undefined);
    return { runId, status: "error", reason: messageOf(error) };
  }
}
