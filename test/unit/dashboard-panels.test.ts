/** The dashboard's panel rules (functions/dashboard/client/panels.client.js), run in a VM as the browser runs them. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createContext, runInContext } from "node:vm";
import { describe, expect, it } from "vitest";

interface Panel {
  id: string;
}

const context = createContext({});
runInContext(readFileSync(join(import.meta.dirname, "../../functions/dashboard/client/panels.client.js"), "utf8"), context);
const { PANELS, isEmpty } = context.netraDashboard as { PANELS: Panel[]; isEmpty: (panel: Panel, data: unknown) => boolean };
const panel = (id: string) => PANELS.find((p) => p.id === id)!;

function overview(count: number[], errorRate: Array<number | null>) {
  const nulls = count.map(() => null);
  return {
    t: count.map((_, i) => i * 60),
    requests: { rate: count, count, errorRate, p50: nulls, p95: nulls, p99: nulls, hitRatio: nulls, l1: nulls, l2: nulls, stale: nulls },
    queries: { calls: count.map(() => 0), slow: count.map(() => 0) },
  };
}

describe("dashboard panels", () => {
  it("draws the error rate as a zero line over a range with requests and no 5xx", () => {
    expect(isEmpty(panel("errors"), overview([155_000, 0, 4], [0, null, 0]))).toBe(false);
  });

  it("says the error rate is empty only when no step had a request", () => {
    expect(isEmpty(panel("errors"), overview([0, 0], [null, null]))).toBe(true);
  });

  it("keeps an all-zero count series empty (no slow queries)", () => {
    expect(isEmpty(panel("slow-queries"), overview([10, 3], [0, 0]))).toBe(true);
  });
});
