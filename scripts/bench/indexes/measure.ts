/** Client-side timing and plan shapes of a workload's statements (the index benchmark's ruler). */
import type pg from "pg";
import type { Statement } from "./types.ts";

/** Statements faster than this are measured in up to FAST_ROUNDS rounds, keeping the best median. */
const FAST_STATEMENT_MS = 5;
const FAST_ROUNDS = 5;

export const MEASURE_NOTE = `median per statement after 3 warm-up calls; statements under ${FAST_STATEMENT_MS} ms: best median of up to ${FAST_ROUNDS} rounds`;

export async function measure(client: pg.Client, statements: readonly Statement[], reps: number): Promise<Map<string, number>> {
  const medians = new Map<string, number>();
  for (const statement of statements) {
    // Warm the buffer cache and the connection's plan cache: the figure is steady state.
    for (let i = 0; i < 3; i++) await client.query(statement.sql, statement.params(i));
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < FAST_ROUNDS; round++) {
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const started = performance.now();
        await client.query(statement.sql, statement.params(i + round * reps));
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      best = Math.min(best, median);
      // Slow statements are stable enough in one round; fast ones get the best of a few, which sheds scheduler noise.
      if (median > FAST_STATEMENT_MS) break;
    }
    medians.set(statement.name, best);
  }
  return medians;
}

/** The plan's shape (node types and the indexes read): tells a real regression from noise on an unchanged plan. */
export async function planShape(client: pg.Client, statement: Statement): Promise<string> {
  if (statement.write) return "write";
  const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.params(0));
  const walk = (node: Record<string, unknown>): string => {
    const children = Array.isArray(node.Plans) ? (node.Plans as Record<string, unknown>[]).map(walk).join(",") : "";
    const index = typeof node["Index Name"] === "string" ? `[${node["Index Name"]}]` : "";
    return `${String(node["Node Type"])}${index}${children ? `(${children})` : ""}`;
  };
  return walk((rows[0] as { "QUERY PLAN": { Plan: Record<string, unknown> }[] })["QUERY PLAN"][0]!.Plan);
}

export async function planShapes(client: pg.Client, statements: readonly Statement[]): Promise<Map<string, string>> {
  const shapes = new Map<string, string>();
  for (const statement of statements) shapes.set(statement.name, await planShape(client, statement));
  return shapes;
}
