/**
 * What the dashboard shows for one range: the chart series (ClickHouse
 * rollups), the alerts (Redis), and the latest index recommendations (Postgres).
 * Each part fails on its own: a down dependency empties its card with a reason
 * instead of blanking the page.
 */
import { NotConfiguredError } from "../../shared/config.ts";
import type { RunStore } from "../../shared/db/advisor/store.ts";
import { dashboardSeries, rangeWindow, type DashboardSeries, type RangeName } from "../../shared/monitoring/dashboard-series.ts";
import { alertsPayload } from "../routes/v1/ops-alerts.ts";
import type { Services } from "../services.ts";

type Part<T> = { ok: true; data: T } | { ok: false; error: string };

async function part<T>(work: () => Promise<T>, onError: (error: unknown) => void): Promise<Part<T>> {
  try {
    return { ok: true, data: await work() };
  } catch (error) {
    onError(error);
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export interface IndexSummary {
  runId: string;
  finishedAt: string | null;
  mode: string | null;
  recommendations: Array<{ name: string; table: string; columns: string[]; include: string[]; ddl: string; benefit: number | null; evidence: string | null; estimatedBytes: number | null; statements: number }>;
  findings: Array<{ kind: string; subject: string; message: string }>;
  /** Applied indexes as measured (by this run, or `carried` from an earlier one): before/after per statement, size, write cost, what was done. */
  verification: Array<{ name: string; table: string; verdict: string; action: string; reason: string; predictedSaving: number | null; measuredSaving: number | null; sizeBytes: number | null; writeBeforeMs: number | null; writeAfterMs: number | null; measuredAt: string | null; carried: boolean; statements: Array<{ beforeMs: number | null; afterMs: number | null; calls: number | null }> }>;
}

const record = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The advisor's stored report, read defensively: it is JSON written by another module. */
async function latestIndexes(runs: RunStore): Promise<IndexSummary | null> {
  const run = await runs.latest();
  if (run === undefined) return null;
  const report = record(run.report);
  return {
    runId: run.id,
    finishedAt: run.finishedAt,
    mode: str(record(report.capabilities).mode) || null,
    recommendations: list(report.recommendations)
      .map(record)
      .map((r) => ({
        name: str(r.name),
        table: `${str(r.schema)}.${str(r.table)}`,
        columns: list(r.columns).map(str),
        include: list(r.include).map(str),
        ddl: str(r.ddl),
        benefit: numOrNull(r.benefit),
        evidence: str(r.evidence) || null,
        estimatedBytes: numOrNull(r.estimatedBytes),
        statements: list(r.statements).length,
      })),
    findings: list(report.findings)
      .map(record)
      .slice(0, 20)
      .map((f) => ({ kind: str(f.kind), subject: str(f.subject), message: str(f.message) })),
    verification: list(report.verification)
      .map(record)
      .map((v) => ({
        name: str(v.name),
        table: str(v.table),
        verdict: str(v.verdict),
        action: str(v.action),
        reason: str(v.reason),
        predictedSaving: numOrNull(v.predictedSaving),
        measuredSaving: numOrNull(v.measuredSaving),
        sizeBytes: numOrNull(v.sizeBytes),
        writeBeforeMs: numOrNull(v.writeBeforeMs),
        writeAfterMs: numOrNull(v.writeAfterMs),
        measuredAt: str(v.measuredAt) || null,
        carried: v.carried === true,
        statements: list(v.statements).map(record).map((s) => ({ beforeMs: numOrNull(s.beforeMs), afterMs: numOrNull(s.afterMs), calls: numOrNull(s.calls) })),
      })),
  };
}

export interface Overview {
  generatedAt: string;
  range: RangeName;
  window: { from: number; to: number; stepSeconds: number };
  series: Part<DashboardSeries>;
  alerts: Part<Awaited<ReturnType<typeof alertsPayload>>>;
  indexes: Part<IndexSummary | null>;
}

export async function overview(services: Services, range: RangeName, now: number, onError: (what: string, error: unknown) => void): Promise<Overview> {
  const { config, clickhouseReader: reader, advisorRuns } = services;
  const window = rangeWindow(range, now);
  const [series, alerts, indexes] = await Promise.all([
    part(() => {
      if (reader === undefined) throw new NotConfiguredError();
      return dashboardSeries(reader, config.clickhouse.database, window);
    }, (e) => onError("dashboard series", e)),
    part(() => alertsPayload(services, 20), (e) => onError("dashboard alerts", e)),
    part(() => latestIndexes(advisorRuns), (e) => onError("dashboard indexes", e)),
  ]);
  return { generatedAt: new Date(now).toISOString(), range, window: { from: window.from, to: window.to, stepSeconds: window.stepSeconds }, series, alerts, indexes };
}
