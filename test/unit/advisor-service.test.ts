import { describe, expect, it } from "vitest";
import { executeAdvisorRun, type RunStore, type SessionExecutor, type StoredRun } from "../../shared/db/advisor/index.ts";

function memoryStore(): RunStore & { rows: Map<string, StoredRun> } {
  const rows = new Map<string, StoredRun>();
  let next = 1;
  return {
    rows,
    async start(triggerKey, trigger, apply) {
      if ([...rows.values()].some((r) => r.triggerKey === triggerKey)) return undefined;
      const id = String(next++);
      rows.set(id, { id, triggerKey, trigger, status: "running", apply, startedAt: "", finishedAt: null, summary: {}, report: null, error: null });
      return id;
    },
    async finish(id, status, fields) {
      const row = rows.get(id)!;
      rows.set(id, { ...row, status, summary: (fields.summary ?? {}) as StoredRun["summary"], report: fields.report ?? null, error: fields.error ?? null });
    },
    async byKey(key) {
      return [...rows.values()].find((r) => r.triggerKey === key);
    },
    async byId(id) {
      return rows.get(id);
    },
    async latest() {
      return [...rows.values()].filter((r) => r.status === "ok").pop();
    },
  };
}

/** A session whose advisory lock is always held elsewhere; anything else is a test failure. */
const lockedSession: SessionExecutor = {
  async query(sql) {
    if (sql.includes("pg_try_advisory_lock")) return { rows: [{ locked: false }] };
    throw new Error(`unexpected query: ${sql}`);
  },
};

const failingSession: SessionExecutor = {
  async query(sql) {
    if (sql.includes("pg_try_advisory_lock")) return { rows: [{ locked: true }] };
    if (sql.includes("pg_advisory_unlock")) return { rows: [{}] };
    throw new Error("connection reset");
  },
};

describe("executeAdvisorRun", () => {
  it("skips, and records why, when another run holds the lock", async () => {
    const store = memoryStore();
    const outcome = await executeAdvisorRun({ session: lockedSession, store, trigger: "cron", triggerKey: "cron:a" });
    expect(outcome).toMatchObject({ status: "skipped", runId: "1" });
    expect(store.rows.get("1")).toMatchObject({ status: "skipped", summary: { reason: expect.stringContaining("holds the lock") } });
  });

  it("does nothing for a trigger key that already ran", async () => {
    const store = memoryStore();
    await executeAdvisorRun({ session: lockedSession, store, trigger: "cron", triggerKey: "cron:b" });
    const again = await executeAdvisorRun({ session: failingSession, store, trigger: "cron", triggerKey: "cron:b" });
    expect(again).toMatchObject({ status: "skipped", runId: "1", reason: expect.stringContaining("exists already") });
    expect(store.rows.size).toBe(1);
  });

  it("records a failed analysis as an error with its message", async () => {
    const store = memoryStore();
    const outcome = await executeAdvisorRun({ session: failingSession, store, trigger: "manual", triggerKey: "manual:x" });
    expect(outcome).toMatchObject({ status: "error", reason: "connection reset" });
    expect(store.rows.get("1")).toMatchObject({ status: "error", error: "connection reset" });
  });

  it("rejects nonsensical options before touching anything", async () => {
    await expect(
      executeAdvisorRun({ session: failingSession, store: memoryStore(), trigger: "cli", triggerKey: "k", options: { maxIndexes: -1 } }),
    ).rejects.toMatchObject({ code: "ADVISOR_OPTIONS_INVALID" });
  });
});
