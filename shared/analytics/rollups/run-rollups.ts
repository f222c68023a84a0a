/**
 * One run of the rollups job: sync audit logs, backfill views added after their data,
 * check closed windows against raw data, apply retention. Every step is idempotent
 * (watermarks, IF NOT EXISTS, partition drops), so two runs at once or a repeated run
 * do no harm beyond repeated reads; a step that fails is reported and the others run.
 *
 * @example
 * const report = await runRollups({ runner: clickHouseRunner(client), database: "netra", analytics: config.analytics, now: Date.now() });
 */
import type { AnalyticsConfig } from "../../config.ts";
import { ROLLUP_VIEWS, type RollupView } from "../rollup-views.ts";
import { AUDIT_SYNC, syncAuditLogs, type AuditSyncReport, type PostgresQuery } from "./audit-sync.ts";
import { backfillView, type BackfillReport } from "./backfill.ts";
import { checkView, closedWindow, type CheckReport } from "./consistency.ts";
import { applyRetention, retainedTables, type RetentionReport } from "./retention.ts";
import type { ClickHouseRunner } from "./runner.ts";
import { readWatermarks } from "./watermarks.ts";

export interface RunRollupsOptions {
  runner: ClickHouseRunner;
  database: string;
  analytics: Pick<AnalyticsConfig, "rawRetentionDays" | "minuteRollupRetentionDays" | "hourRollupRetentionDays">;
  now: number;
  /** Audit logs source; omitted: no sync. */
  postgres?: PostgresQuery;
  views?: readonly RollupView[];
  /** A window is checked once it ended this long ago. Default 15 min. */
  lagMs?: number;
  /** Backfill days per view per run. Default 7. */
  maxBackfillSteps?: number;
  audit?: { batchSize: number; maxBatches: number; settleMs: number };
}

export interface RollupsReport {
  audit?: AuditSyncReport | { error: string };
  backfill: (BackfillReport | { view: string; error: string })[];
  checks: (CheckReport | { view: string; error: string })[];
  mismatches: number;
  retention: (RetentionReport | { table: string; error: string })[];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function runRollups(options: RunRollupsOptions): Promise<RollupsReport> {
  const { runner, database } = options;
  const views = options.views ?? ROLLUP_VIEWS;
  const marks = await readWatermarks(runner, database);
  const report: RollupsReport = { backfill: [], checks: [], mismatches: 0, retention: [] };

  if (options.postgres !== undefined) {
    try {
      report.audit = await syncAuditLogs(options.postgres, runner, database, marks.get(AUDIT_SYNC), options.audit ?? { batchSize: 10_000, maxBatches: 5, settleMs: 60_000 });
    } catch (error) {
      report.audit = { error: message(error) };
    }
  }

  const complete = new Set<string>();
  for (const view of views) {
    try {
      const result = await backfillView(runner, database, view, marks.get(view.name), options.maxBackfillSteps ?? 7);
      if (result.state === "complete") complete.add(view.name);
      report.backfill.push(result);
    } catch (error) {
      report.backfill.push({ view: view.name, error: message(error) });
    }
  }

  // A view still backfilling disagrees with raw data by design: check it once it is done.
  for (const view of views.filter((v) => complete.has(v.name))) {
    try {
      const check = await checkView(runner, database, view, closedWindow(view, options.now, options.lagMs ?? 15 * 60_000));
      report.mismatches += check.mismatches.length;
      report.checks.push(check);
    } catch (error) {
      report.checks.push({ view: view.name, error: message(error) });
    }
  }

  for (const spec of retainedTables(options.analytics)) {
    try {
      report.retention.push(await applyRetention(runner, database, spec, options.now));
    } catch (error) {
      report.retention.push({ table: spec.table, error: message(error) });
    }
  }
  return report;
}
