/**
 * `npm run advise` as a user runs it: every run recorded (in index_advisor_runs when the
 * database has it, else in a JSON file), the indexes one run built verified by the next from
 * pg_stat_statements deltas, and their measured impact carried into later reports.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdvisorReport, StoredRun } from "../../shared/db/advisor/index.ts";
import { createTestDatabase, NETRA_WORKLOAD, runWorkload, type TestDatabase } from "./advisor-fixture.ts";

const run = promisify(execFile);
let db: TestDatabase;
let dir: string;
let runsFile: string;

async function advise(...args: string[]): Promise<{ report: AdvisorReport; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/advise.ts", "--database-url", db.url, "--json", ...args], { maxBuffer: 32 << 20 });
  return { report: JSON.parse(stdout) as AdvisorReport, stderr };
}

beforeAll(async () => {
  db = await createTestDatabase({ users: 2_000, auditLogs: 60_000, agentStates: 3_000, seed: 7, anchor: new Date("2026-06-01T00:00:00Z") });
  dir = mkdtempSync(join(tmpdir(), "netra-advise-"));
  runsFile = join(dir, "runs.json");
  await db.resetStatements();
  await runWorkload(db, NETRA_WORKLOAD);
}, 120_000);

afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm run advise", () => {
  it("records its run in index_advisor_runs when the database has the table", async () => {
    const { report, stderr } = await advise();
    expect(report.recommendations.length).toBeGreaterThan(0);
    expect(stderr).toMatch(/run \d+ recorded in index_advisor_runs/);
    const { rows } = await db.client.query("SELECT trigger, status FROM index_advisor_runs");
    expect(rows).toEqual([{ trigger: "cli", status: "ok" }]);
  }, 60_000);

  describe("on a database without the table (not Netra's): runs in a file", () => {
    let built: string[];

    beforeAll(async () => {
      await db.client.query("DROP TABLE index_advisor_runs");
    });

    it("builds with --apply and records the baselines", async () => {
      const { report, stderr } = await advise("--apply", "--runs-file", runsFile);
      built = report.applied.filter((b) => b.status === "created").map((b) => b.name);
      expect(built.length).toBeGreaterThan(0);
      expect(stderr).toContain(`recorded in ${runsFile}`);
      const runs = JSON.parse(readFileSync(runsFile, "utf8")) as StoredRun[];
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ trigger: "cli", status: "ok", apply: true });
      expect((runs[0]!.report as AdvisorReport).baselines.map((b) => b.name).sort()).toEqual([...built].sort());
    }, 60_000);

    it("verifies those indexes on the next run, from the traffic since: before/after per statement and size", async () => {
      await runWorkload(db, NETRA_WORKLOAD);
      const { report } = await advise("--runs-file", runsFile);
      expect(report.verification.map((v) => v.name).sort()).toEqual([...built].sort());
      for (const v of report.verification) {
        expect(v.carried).toBeUndefined();
        expect(["kept", "reported"]).toContain(v.action);
        expect(v.sizeBytes).toBeGreaterThan(0);
        expect(v.statements.length).toBeGreaterThan(0);
        for (const s of v.statements) expect(s.afterMs).not.toBeNull();
      }
    }, 60_000);

    it("carries the measured impact into later reports while the indexes stay", async () => {
      const { report } = await advise("--runs-file", runsFile);
      expect(report.verification.map((v) => v.name).sort()).toEqual([...built].sort());
      expect(report.verification.every((v) => v.carried === true)).toBe(true);
      const runs = JSON.parse(readFileSync(runsFile, "utf8")) as StoredRun[];
      expect(runs.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
      // The summary counts only what this run measured.
      expect(Object.values(runs[2]!.summary.verified ?? {}).reduce((a, b) => a + b, 0)).toBe(0);
    }, 60_000);
  });
});
