/** The summary of each index advisor run as a ClickHouse event (table index_advisor_runs). */
import type { RunSummary } from "../../db/advisor/store.ts";

/** The part of @clickhouse/client-web's client this needs. */
export interface ClickHouseInserter {
  insert(params: { table: string; values: Record<string, unknown>[]; format: "JSONEachRow" }): Promise<unknown>;
}

export interface AdvisorRunEvent {
  ts: string;
  run_id: string;
  database: string;
  trigger: string;
  mode: string;
  statements: number;
  recommendations: number;
  created: number;
  failed: number;
  findings: number;
  clickhouse_findings: number;
  duration_ms: number;
  evaluations: number;
}

/** DateTime64(3) in the format ClickHouse parses by default ("YYYY-MM-DD hh:mm:ss.sss", UTC). */
function clickHouseTime(date: Date): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

export function advisorRunEvent(runId: string, database: string, trigger: string, summary: RunSummary, at: Date): AdvisorRunEvent {
  return {
    ts: clickHouseTime(at),
    run_id: runId,
    database,
    trigger,
    mode: summary.mode,
    statements: summary.statements,
    recommendations: summary.recommendations,
    created: summary.created,
    failed: summary.failed,
    findings: Object.values(summary.findings).reduce((a, b) => a + b, 0),
    clickhouse_findings: summary.clickhouseFindings,
    duration_ms: Math.round(summary.durationMs),
    evaluations: summary.evaluations,
  };
}

/** `table` is `<database>.index_advisor_runs` of the ClickHouse database the migrations created it in. */
export async function insertAdvisorRunEvent(client: ClickHouseInserter, table: string, event: AdvisorRunEvent): Promise<void> {
  await client.insert({ table, values: [{ ...event }], format: "JSONEachRow" });
}
