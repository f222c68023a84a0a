/** Advisor runs in Postgres (index_advisor_runs, migration 0003): start, finish, read back. */
import type { AdvisorReport, SessionExecutor } from "./types.ts";

export type RunTrigger = "cron" | "manual" | "cli";
export type RunStatus = "running" | "ok" | "error" | "skipped";

/** The headline of a run: what GET /v1/ops/indexes lists and the ClickHouse event carries. */
export interface RunSummary {
  mode: string;
  statements: number;
  recommendations: number;
  created: number;
  failed: number;
  findings: Record<string, number>;
  clickhouseFindings: number;
  durationMs: number;
  evaluations: number;
  /** Earlier builds judged by this run: kept (paid off), dropped or reported (did not), pending (no traffic yet). */
  verified: Record<string, number>;
}

export interface StoredRun {
  id: string;
  triggerKey: string;
  trigger: RunTrigger;
  status: RunStatus;
  apply: boolean;
  startedAt: string;
  finishedAt: string | null;
  summary: Partial<RunSummary> & { reason?: string };
  report: unknown;
  error: string | null;
}

/** Any executor works here (no session state): the HTTP driver wrapped as `{ rows }` too. */
export interface RunStore {
  /** Inserts a running row; undefined when a run with this trigger key exists already. */
  start(triggerKey: string, trigger: RunTrigger, apply: boolean): Promise<string | undefined>;
  finish(id: string, status: Exclude<RunStatus, "running">, fields: { summary?: object; report?: object; error?: string }): Promise<void>;
  byKey(triggerKey: string): Promise<StoredRun | undefined>;
  byId(id: string): Promise<StoredRun | undefined>;
  /** The latest finished run with a report (status ok). */
  latest(): Promise<StoredRun | undefined>;
}

const COLUMNS = `id::text AS id, trigger_key, trigger, status, apply, started_at, finished_at, summary, report, error`;

function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

function json(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

function toRun(row: Record<string, unknown> | undefined): StoredRun | undefined {
  if (row === undefined) return undefined;
  return {
    id: String(row.id),
    triggerKey: String(row.trigger_key),
    trigger: String(row.trigger) as RunTrigger,
    status: String(row.status) as RunStatus,
    apply: row.apply === true,
    startedAt: iso(row.started_at) ?? "",
    finishedAt: iso(row.finished_at),
    summary: (json(row.summary) ?? {}) as StoredRun["summary"],
    report: json(row.report) ?? null,
    error: row.error === null || row.error === undefined ? null : String(row.error),
  };
}

export function postgresRunStore(db: SessionExecutor): RunStore {
  return {
    async start(triggerKey, trigger, apply) {
      const { rows } = await db.query(
        `INSERT INTO index_advisor_runs (trigger_key, trigger, status, apply, started_at)
         VALUES ($1, $2, 'running', $3, clock_timestamp())
         ON CONFLICT (trigger_key) DO NOTHING RETURNING id::text AS id`,
        [triggerKey, trigger, apply],
      );
      const id = rows[0]?.id;
      return id === undefined ? undefined : String(id);
    },
    async finish(id, status, fields) {
      await db.query(
        `UPDATE index_advisor_runs
         SET status = $2, summary = $3::jsonb, report = $4::jsonb, error = $5,
             finished_at = greatest(clock_timestamp(), started_at)
         WHERE id = $1::bigint`,
        [id, status, JSON.stringify(fields.summary ?? {}), fields.report === undefined ? null : JSON.stringify(fields.report), fields.error ?? null],
      );
    },
    async byKey(triggerKey) {
      const { rows } = await db.query(`SELECT ${COLUMNS} FROM index_advisor_runs WHERE trigger_key = $1`, [triggerKey]);
      return toRun(rows[0]);
    },
    async byId(id) {
      const { rows } = await db.query(`SELECT ${COLUMNS} FROM index_advisor_runs WHERE id = $1::bigint`, [id]);
      return toRun(rows[0]);
    },
    async latest() {
      const { rows } = await db.query(
        // The table's bigint id: a bare `id` here would be the text alias of COLUMNS, and "9" sorts after "17".
        `SELECT ${COLUMNS} FROM index_advisor_runs WHERE status = 'ok' ORDER BY index_advisor_runs.id DESC LIMIT 1`,
      );
      return toRun(rows[0]);
    },
  };
}

export function summarise(report: AdvisorReport, clickhouseFindings: number): RunSummary {
  const findings: Record<string, number> = {};
  for (const finding of report.findings) findings[finding.kind] = (findings[finding.kind] ?? 0) + 1;
  return {
    mode: report.capabilities.mode,
    statements: report.workload.length,
    recommendations: report.recommendations.length,
    created: report.applied.filter((b) => b.status === "created").length,
    failed: report.applied.filter((b) => b.status === "failed").length,
    findings,
    clickhouseFindings,
    durationMs: report.durationMs,
    evaluations: report.evaluations,
    verified: Object.fromEntries(["kept", "dropped", "reported", "pending"].map((a) => [a, report.verification.filter((v) => v.action === a && v.carried !== true).length])),
  };
}
