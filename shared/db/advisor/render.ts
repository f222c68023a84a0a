/** The report as plain text, for the CLI and logs. */
import type { AdvisorReport } from "./types.ts";

const short = (sql: string, width = 110) => {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
};

const bytes = (n: number | null) =>
  n === null ? "?" : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} B`;

export function renderReport(report: AdvisorReport & { clickhouse?: { findings: readonly unknown[]; notes: readonly string[] } }): string {
  const lines: string[] = [];
  const { capabilities: cap } = report;
  lines.push(`index advisor: database ${report.database}, mode ${cap.mode}, ${report.durationMs} ms, ${report.evaluations} planner evaluations`);
  lines.push(`  pg_stat_statements: ${cap.pgStatStatements ? `yes (since ${cap.statementsResetAt ?? "?"})` : "no"}; hypopg: ${cap.hypopg ? "yes" : "no"}`);
  for (const note of cap.notes) lines.push(`  note: ${note}`);

  lines.push("", `workload (${report.workload.length} statements, by total time):`);
  for (const s of report.workload.slice(0, 15)) {
    lines.push(`  ${s.totalMs.toFixed(1).padStart(10)} ms ${String(s.calls).padStart(7)} calls  ${short(s.query)}`);
    for (const source of s.representative ?? []) lines.push(`             planned with ${source}`);
  }

  lines.push("", `recommendations (${report.recommendations.length}):`);
  for (const r of report.recommendations) {
    lines.push(`  ${r.ddl};`);
    lines.push(`    evidence: ${r.evidence}; benefit ${r.benefit} vs overhead ${r.overhead}; est. size ${bytes(r.estimatedBytes)}; from ${r.reasons.join(", ")}`);
    for (const e of r.statements) {
      lines.push(`    cost ${e.costBefore} -> ${e.costAfter} x ${e.calls} calls: ${short(e.query, 90)}`);
    }
  }

  if (report.applied.length > 0) {
    lines.push("", "builds:");
    for (const b of report.applied) {
      lines.push(`  ${b.status.padEnd(7)} ${b.name} (${b.durationMs} ms${b.sizeBytes === null ? "" : `, ${bytes(b.sizeBytes)}`})${b.replacedLeftover ? " replacing an INVALID leftover of an earlier build" : ""}${b.error ? `: ${b.error}${b.cleanedUp ? " (invalid leftover dropped)" : ""}` : ""}`);
    }
  }

  const uncovered = report.coverage.filter((c) => c.candidates === 0);
  if (uncovered.length > 0) {
    lines.push("", `statements without candidates (${uncovered.length}):`);
    for (const c of uncovered) lines.push(`  ${c.queryid}: ${c.reason ?? "no reason"}`);
  }

  if (report.verification.length > 0) {
    lines.push("", "measured impact of earlier builds:");
    for (const v of report.verification) {
      const statements = v.statements.map((m) => `${m.beforeMs.toFixed(2)} -> ${m.afterMs === null ? "?" : m.afterMs.toFixed(2)} ms`).join(", ");
      const writes = v.writeBeforeMs === null || v.writeAfterMs === null ? "writes not measured" : `writes ${v.writeBeforeMs.toFixed(3)} -> ${v.writeAfterMs.toFixed(3)} ms`;
      const when = v.carried ? `; measured ${v.measuredAt} by an earlier run` : "";
      lines.push(`  ${v.verdict} (${v.action}) ${v.name}, ${bytes(v.sizeBytes)}: ${statements}; ${writes}; ${v.reason}${when}`);
    }
  }

  lines.push("", `findings (${report.findings.length}):`);
  for (const f of report.findings) lines.push(`  [${f.kind}] ${f.message}`);

  if (report.clickhouse) {
    lines.push("", `clickhouse (${report.clickhouse.findings.length} findings):`);
    for (const note of report.clickhouse.notes) lines.push(`  note: ${note}`);
    for (const f of report.clickhouse.findings) {
      const message = typeof f === "object" && f !== null && "message" in f ? String(f.message) : JSON.stringify(f);
      lines.push(`  ${message}`);
    }
  }
  return lines.join("\n");
}
