/**
 * The index-analysis job (cron "17 * * * *") and the on-demand trigger's runner: one
 * advisor run over a Neon WebSocket session (hypopg, the advisory lock and CREATE INDEX
 * CONCURRENTLY need a real session, which the HTTP driver is not), its report stored in
 * index_advisor_runs, the ClickHouse tables analysed and the summary written to ClickHouse.
 */
import { adviseClickHouse, advisorRunEvent, insertAdvisorRunEvent } from "../../shared/analytics/advisor/index.ts";
import { executeAdvisorRun, postgresRunStore, type AdvisorRunOutcome, type RunTrigger } from "../../shared/db/advisor/index.ts";
import { createNeonPool } from "../../shared/db/neon-client.ts";
import type { Services } from "../services.ts";
import type { CronJob } from "./jobs.ts";

/** Runs the advisor once for `triggerKey`; a second call with the same key is skipped. */
export async function runIndexAnalysis(services: Pick<Services, "config" | "clickhouse">, trigger: RunTrigger, triggerKey: string): Promise<AdvisorRunOutcome> {
  const { config, clickhouse: ch } = services;
  // A pool of its own per run: the advisor needs one session for the whole run.
  const pool = createNeonPool({ ...config.postgres, poolMax: 1 });
  // Closing the WebSocket surfaces as an error event on the idle client; unhandled, workerd reports it as uncaught.
  pool.on("error", () => undefined);
  try {
    const session = await pool.connect();
    try {
      const settings = config.indexAdvisor;
      const reader = ch && {
        query: async (sql: string) => (await ch.query({ query: sql, format: "JSONEachRow" })).json<Record<string, unknown>>(),
      };
      return await executeAdvisorRun({
        session,
        store: postgresRunStore(session),
        trigger,
        triggerKey,
        options: {
          apply: settings.apply,
          maxIndexes: settings.maxIndexes,
          topStatements: settings.topStatements,
          minCalls: settings.minCalls,
          minTotalMs: settings.minTotalMs,
          lockTimeoutMs: settings.lockTimeoutMs,
          buildTimeoutMs: settings.buildTimeoutMs,
          slowStatementMs: config.query.slowQueryThresholdMs,
        },
        clickhouse: reader && (() => adviseClickHouse(reader, config.clickhouse.database, {
          maxPartsPerPartition: settings.clickhouseMaxPartsPerPartition,
          minCalls: settings.minCalls,
        })),
        emit: ch && ((runId, summary, report) =>
          insertAdvisorRunEvent(ch, `${config.clickhouse.database}.index_advisor_runs`,
            advisorRunEvent(runId, report.database, trigger, summary, new Date()))),
      });
    } finally {
      session.release();
    }
  } finally {
    await pool.end();
  }
}

/** The cron job: idempotent per scheduled time (a retried trigger reuses the key). */
export const indexAnalysisJob: CronJob = async ({ services, scheduledTime }) => {
  const outcome = await runIndexAnalysis(services, "cron", `cron:${scheduledTime.toISOString()}`);
  if (outcome.status === "error") throw new Error(outcome.reason ?? "index analysis failed");
  return {
    status: outcome.status === "ok" ? "ok" : "skipped",
    detail: { runId: outcome.runId ?? null, ...(outcome.reason ? { reason: outcome.reason } : {}), ...(outcome.summary ?? {}) },
  };
};
