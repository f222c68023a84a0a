/**
 * `npm run bench -- indexes [--reps N] [--only ours|second] [--build right] [--keep]`
 *
 * The index advisor on two workloads, each in a database of its own (recreated each run):
 * `ours` (Netra's schema: 1M audit logs, 100k users) and `second` (an e-commerce schema the
 * advisor was not built against, scripts/bench/indexes/ecommerce.ts). For each: run the
 * workload, let the advisor analyse pg_stat_statements at its default settings, build its
 * recommendations, run the workload again; then verify each built index from
 * pg_stat_statements deltas (shared/db/advisor/verify.ts). Figures per workload (prefix
 * `ours_`, `second_`): recall and false positives against the workload's right answer,
 * workload speedup, regressions, advisor seconds, indexes applied and verified.
 * `--build right` builds the right answer instead of the advisor's picks (the experiment
 * that established it).
 */
import pg from "pg";
import { parseArgs } from "node:util";
import { applyRecommendations, runAdvisor, type Recommendation } from "../../shared/db/advisor/index.ts";
import { judgeIndex, meanBetween, statementTotals, type IndexVerdict } from "../../shared/db/advisor/verify.ts";
import { localUrls } from "../lib/local-config.ts";
import { ecommerce } from "./indexes/ecommerce.ts";
import { measure, MEASURE_NOTE, planShapes } from "./indexes/measure.ts";
import { ours } from "./indexes/ours.ts";
import type { BenchWorkload, RightIndex, Statement } from "./indexes/types.ts";
import type { BenchReport } from "./report.ts";

/** Below this a difference is timer and scheduler noise on a shared machine, not a regression. */
const NOISE_FLOOR_MS = 0.05;
const WORKLOADS: Record<string, BenchWorkload> = { ours, second: ecommerce };

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function matches(right: RightIndex, r: Pick<Recommendation, "table" | "columns" | "patternOps" | "where">): boolean {
  return (
    r.table === right.table &&
    right.leading.every((key, i) => r.columns[i] === key) &&
    (right.patternOps === true) === (r.patternOps?.includes(right.leading[0]!) ?? false) &&
    (right.where === undefined || r.where === right.where)
  );
}

/** The right answer as recommendations, for `--build right`. */
function rightAsRecommendations(workload: BenchWorkload): Recommendation[] {
  return workload.right.map((right, i) => {
    const key = (k: string) => (k.startsWith("(") ? k : `"${k}"`);
    const cols = right.leading.map((k, j) => (j === 0 && right.patternOps ? `${key(k)} text_pattern_ops` : key(k))).join(", ");
    const name = `right_${i}_${right.table}`;
    return {
      schema: "public", table: right.table, columns: right.leading, include: [], reasons: ["right answer"], name,
      ddl: `CREATE INDEX CONCURRENTLY IF NOT EXISTS "${name}" ON "public"."${right.table}" USING btree (${cols})${right.where ? ` WHERE ${right.where}` : ""}`,
      benefit: 0, overhead: 0, estimatedBytes: null, statements: [], evidence: "rule-based" as const,
    };
  });
}

interface WorkloadResult {
  figures: Record<string, number>;
  targets: BenchReport["targets"];
  statements: Record<string, number | string>[];
  indexes: Record<string, number | string>[];
  notes: string[];
}

async function runWorkload(label: string, workload: BenchWorkload, adminUrl: string, reps: number, buildRight: boolean, keep: boolean): Promise<WorkloadResult> {
  const database = `netra_bench_indexes_${label}`;
  const parsed = new URL(adminUrl);
  parsed.pathname = `/${database}`;
  const url = parsed.toString();
  await admin(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin(adminUrl, `CREATE DATABASE ${database} TEMPLATE template1`);
  const client = new pg.Client({ connectionString: url, application_name: "netra-bench-indexes" });
  try {
    await client.connect();
    const setupStarted = performance.now();
    const facts = await workload.setup(client, url);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const statements = await workload.statements(client);
    const reads = statements.filter((s) => !s.write);

    await client.query("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
    const before = await measure(client, statements, reps);
    const plansBefore = await planShapes(client, statements);

    const advisorStarted = performance.now();
    const report = await runAdvisor(client, {});
    const advisorSeconds = (performance.now() - advisorStarted) / 1000;
    const toBuild = buildRight ? rightAsRecommendations(workload) : report.recommendations;
    const buildStarted = performance.now();
    const builds = await applyRecommendations(client, toBuild, { lockTimeoutMs: 2_000, buildTimeoutMs: 600_000 });
    const buildSeconds = (performance.now() - buildStarted) / 1000;
    await client.query("ANALYZE");

    const sinceBuild = await statementTotals(client);
    const after = await measure(client, statements, reps);
    const totalsAfter = await statementTotals(client);
    const plansAfter = await planShapes(client, statements);

    const rows = statements.map((s) => {
      const b = before.get(s.name)!;
      const a = after.get(s.name)!;
      const planChanged = plansBefore.get(s.name) !== plansAfter.get(s.name);
      return {
        statement: s.name,
        before_ms: b,
        after_ms: a,
        speedup: Math.round((b / a) * 10) / 10,
        regression: !s.write && a > b * 1.1 && a - b > NOISE_FLOOR_MS ? "YES" : "",
        plan_changed: planChanged ? "yes" : "no",
        plan_after: plansAfter.get(s.name) ?? "",
      };
    });
    const readRows = rows.filter((r) => reads.some((s) => s.name === r.statement));
    const totalBefore = readRows.reduce((sum, r) => sum + r.before_ms, 0);
    const totalAfter = readRows.reduce((sum, r) => sum + r.after_ms, 0);
    const created = builds.filter((b) => b.status === "created");
    // A read whose plan did not change cannot have been slowed by the new indexes: on an unchanged plan a slower median is the machine.
    const regressions = readRows.filter((r) => r.regression === "YES" && r.plan_changed === "yes").length;
    const slowerSamePlan = readRows.filter((r) => r.regression === "YES" && r.plan_changed === "no").length;

    // Verification: per built index, its statements' pg_stat_statements means before (the analysed workload) and after (deltas since the build).
    const verdicts: IndexVerdict[] = [];
    for (const build of created) {
      const rec = toBuild.find((r) => r.name === build.name)!;
      const measured = rec.statements.map((e) => {
        const w = report.workload.find((s) => s.queryid === e.queryid);
        const afterMean = meanBetween(sinceBuild, totalsAfter, e.queryid);
        return { queryid: e.queryid, beforeMs: w?.meanMs ?? 0, afterMs: afterMean?.meanMs ?? null, calls: afterMean?.calls ?? 0 };
      });
      const writeStatement = statements.find((s) => s.write && new RegExp(`INSERT INTO ${rec.table}\\b`).test(s.sql));
      const writes = writeStatement ? { beforeMs: before.get(writeStatement.name)!, afterMs: after.get(writeStatement.name)! } : null;
      verdicts.push(judgeIndex(rec, measured, writes));
    }
    const verified = verdicts.filter((v) => v.verdict === "held").length;

    const recommended = toBuild;
    const recall = workload.right.filter((right) => recommended.some((r) => matches(right, r))).length / workload.right.length;
    const falsePositives = recommended.filter((r) => !workload.right.some((right) => matches(right, r))).length;
    const speedup = totalBefore / totalAfter;
    const figures = {
      recall: Math.round(recall * 100) / 100,
      false_positives: falsePositives,
      workload_speedup: Math.round(speedup * 10) / 10,
      regressions,
      slower_same_plan: slowerSamePlan,
      advisor_seconds: Math.round(advisorSeconds * 100) / 100,
      indexes_applied: created.length,
      verified_indexes: verified,
      index_size_mib: Math.round((created.reduce((sum, b) => sum + (b.sizeBytes ?? 0), 0) / 2 ** 20) * 10) / 10,
      build_seconds: Math.round(buildSeconds * 100) / 100,
      planner_evaluations: report.evaluations,
      setup_seconds: Math.round(setupSeconds * 10) / 10,
      ...facts,
    };
    return {
      figures,
      targets: {
        recall: { target: ">= 0.9", met: recall >= 0.9 },
        false_positives: { target: "<= 1", met: falsePositives <= 1 },
        workload_speedup: { target: ">= 20", met: speedup >= 20 },
        regressions: { target: "0", met: regressions === 0 },
        advisor_seconds: { target: "<= 30", met: advisorSeconds <= 30 },
        verified_indexes: { target: "= indexes applied", met: verified === created.length },
      },
      statements: rows.map((r) => ({ ...r, before_ms: Math.round(r.before_ms * 1000) / 1000, after_ms: Math.round(r.after_ms * 1000) / 1000 })),
      indexes: builds.map((b) => {
        const v = verdicts.find((x) => x.name === b.name);
        const rec = toBuild.find((r) => r.name === b.name)!;
        return {
          name: b.name,
          ddl: rec.ddl.replace(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS "[^"]+" ON "public"\./, ""),
          right: workload.right.some((right) => matches(right, rec)) ? "yes" : "NO",
          status: b.status,
          size_kib: Math.round((b.sizeBytes ?? 0) / 1024),
          verdict: v?.verdict ?? "",
          predicted_saving: v?.predictedSaving ?? "",
          measured_saving: v?.measuredSaving ?? "",
        };
      }),
      notes: [
        ...workload.right.filter((right) => !recommended.some((r) => matches(right, r))).map((right) => `${label}: right index not recommended: ${right.name}`),
        `${label}: advisor mode ${report.capabilities.mode}; ${report.workload.length} statements analysed; ${report.findings.length} findings (${[...new Set(report.findings.map((f) => f.kind))].join(", ")})`,
        ...report.findings.filter((f) => f.kind === "duplicate_index" || f.kind === "unused_index").map((f) => `${label}: [${f.kind}] ${f.subject}`),
        ...report.capabilities.notes.map((n) => `${label}: ${n}`),
        ...builds.filter((b) => b.status !== "created").map((b) => `${label}: build ${b.name}: ${b.status} ${b.error ?? ""}`),
      ],
    };
  } finally {
    await client.end().catch(() => undefined);
    if (!keep) await admin(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

export default async function run(args: string[]): Promise<BenchReport> {
  const { values } = parseArgs({
    args,
    options: {
      reps: { type: "string", default: "25" },
      only: { type: "string" },
      build: { type: "string" },
      keep: { type: "boolean", default: false },
    },
  });
  const adminUrl = process.env.DATABASE_URL || localUrls().DATABASE_URL;
  const labels = values.only ? [values.only] : Object.keys(WORKLOADS);
  const report: Required<BenchReport> = { figures: {}, targets: {}, tables: {}, notes: [] };
  for (const label of labels) {
    const workload = WORKLOADS[label];
    if (workload === undefined) throw new RangeError(`--only must be one of ${Object.keys(WORKLOADS).join(", ")}`);
    const result = await runWorkload(label, workload, adminUrl, Number(values.reps), values.build === "right", values.keep);
    for (const [k, v] of Object.entries(result.figures)) report.figures[`${label}_${k}`] = v;
    for (const [k, v] of Object.entries(result.targets ?? {})) report.targets[`${label}_${k}`] = v;
    report.tables[`${label}: statements`] = result.statements;
    report.tables[`${label}: indexes`] = result.indexes;
    report.notes.push(...result.notes);
  }
  report.notes.push(`each workload: statements x ${values.reps} calls (${MEASURE_NOTE}), before and after in the same run; the speedup counts reads only`);
  report.notes.push(`a regression is a read whose plan changed and whose median is >10% and >${NOISE_FLOOR_MS} ms slower after; slower_same_plan counts the reads that were that much slower on an unchanged plan (machine noise: the indexes did not touch them)`);
  if (values.build === "right") report.notes.push("--build right: the right answer was built instead of the advisor's picks (recall/false_positives then describe the right answer itself)");
  return report;
}
