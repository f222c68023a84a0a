/**
 * Advisor runs kept in a JSON file, for `npm run advise` against a database that has no
 * index_advisor_runs table (one that is not Netra's): the CLI still records each run, and the
 * next run finds the builds of the last one to verify. Written whole to a temporary file and
 * renamed, so a crash leaves the previous version. The newest runs are kept, older ones trimmed.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { RunStore, StoredRun } from "../../shared/db/advisor/index.ts";

const KEPT_RUNS = 50;

export function fileRunStore(path: string, now: () => Date = () => new Date()): RunStore {
  const read = (): StoredRun[] => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error(`${path} is not a list of advisor runs`);
    return parsed as StoredRun[];
  };
  const write = (runs: StoredRun[]) => {
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(runs.slice(-KEPT_RUNS), null, 1));
    renameSync(temporary, path);
  };
  return {
    async start(triggerKey, trigger, apply) {
      const runs = read();
      if (runs.some((r) => r.triggerKey === triggerKey)) return undefined;
      const id = String(runs.reduce((max, r) => Math.max(max, Number(r.id)), 0) + 1);
      write([...runs, { id, triggerKey, trigger, status: "running", apply, startedAt: now().toISOString(), finishedAt: null, summary: {}, report: null, error: null }]);
      return id;
    },
    async finish(id, status, fields) {
      write(
        read().map((r) =>
          r.id === id
            ? { ...r, status, finishedAt: now().toISOString(), summary: (fields.summary ?? {}) as StoredRun["summary"], report: fields.report ?? null, error: fields.error ?? null }
            : r,
        ),
      );
    },
    async byKey(triggerKey) {
      return read().find((r) => r.triggerKey === triggerKey);
    },
    async byId(id) {
      return read().find((r) => r.id === id);
    },
    async latest() {
      return read()
        .filter((r) => r.status === "ok")
        .pop();
    },
  };
}
