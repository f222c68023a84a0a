/**
 * ClickHouse table advice from system.parts, system.tables and system.query_log:
 * frequent filters that miss the sorting key's prefix (suggest a projection or a new key),
 * partitions with too many active parts, and frequent aggregations a materialized view
 * would answer. Pure: the state is read elsewhere (read.ts), so this is unit-tested.
 */
import { queryShape } from "./sql-shape.ts";

export interface ClickHouseTable {
  name: string;
  engine: string;
  sortingKey: string[];
  columns: string[];
}

export interface PartitionParts {
  table: string;
  partition: string;
  parts: number;
  rows: number;
}

export interface LoggedQuery {
  query: string;
  calls: number;
  totalMs: number;
}

export interface ClickHouseState {
  database: string;
  tables: ClickHouseTable[];
  parts: PartitionParts[];
  /** null when system.query_log is unavailable (the embedded engine keeps none). */
  queryLog: LoggedQuery[] | null;
  notes: string[];
}

export interface ClickHouseAdviceOptions {
  /** Active parts in one partition above this are "too many" (ClickHouse slows inserts at 1000 and refuses at 3000). */
  maxPartsPerPartition: number;
  /** A query shape must have run this often to count. */
  minCalls: number;
}

export const DEFAULT_CLICKHOUSE_ADVICE_OPTIONS: Readonly<ClickHouseAdviceOptions> = Object.freeze({ maxPartsPerPartition: 300, minCalls: 10 });

export type ClickHouseFindingKind = "sorting_key_mismatch" | "too_many_parts" | "materialized_view";

export interface ClickHouseFinding {
  kind: ClickHouseFindingKind;
  table: string;
  message: string;
  suggestion: string;
  evidence: Record<string, string | number>;
}

export interface ClickHouseAdvice {
  database: string;
  findings: ClickHouseFinding[];
  notes: string[];
}

const SUFFIX_SAFE = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40);

function tooManyParts(state: ClickHouseState, options: ClickHouseAdviceOptions): ClickHouseFinding[] {
  return state.parts
    .filter((p) => p.parts > options.maxPartsPerPartition)
    .map((p) => ({
      kind: "too_many_parts",
      table: p.table,
      message: `${state.database}.${p.table} partition ${p.partition} has ${p.parts} active parts (more than ${options.maxPartsPerPartition})`,
      suggestion:
        "insert in fewer, larger batches (or enable async_insert), and check that the partition key is not too fine-grained; " +
        `OPTIMIZE TABLE ${state.database}.${p.table} PARTITION ID '${p.partition}' merges the backlog`,
      evidence: { parts: p.parts, rows: p.rows, partition: p.partition },
    }));
}

function tableOf(state: ClickHouseState, name: string): ClickHouseTable | undefined {
  const bare = name.includes(".") ? name.split(".").pop()! : name;
  return state.tables.find((t) => t.name === bare);
}

function keyMismatches(state: ClickHouseState, queries: readonly LoggedQuery[], options: ClickHouseAdviceOptions): ClickHouseFinding[] {
  const byTableAndFilter = new Map<string, { table: ClickHouseTable; filtered: string[]; calls: number; totalMs: number; example: string }>();
  for (const query of queries) {
    const shape = queryShape(query.query);
    for (const name of shape.tables) {
      const table = tableOf(state, name);
      if (table === undefined || table.sortingKey.length === 0) continue;
      const filtered = shape.filtered.filter((c) => table.columns.includes(c));
      const leading = new Set(table.sortingKey[0]!.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
      if (filtered.length === 0 || filtered.some((c) => leading.has(c))) continue;
      const key = `${table.name}|${filtered.join(",")}`;
      const entry = byTableAndFilter.get(key) ?? { table, filtered, calls: 0, totalMs: 0, example: query.query };
      entry.calls += query.calls;
      entry.totalMs += query.totalMs;
      byTableAndFilter.set(key, entry);
    }
  }
  return [...byTableAndFilter.values()]
    .filter((e) => e.calls >= options.minCalls)
    .map((e) => {
      const order = [...e.filtered, ...e.table.sortingKey.filter((k) => !e.filtered.includes(k))].join(", ");
      const projection = `p_by_${SUFFIX_SAFE(e.filtered.join("_"))}`;
      return {
        kind: "sorting_key_mismatch" as const,
        table: e.table.name,
        message: `${e.calls} queries filter ${state.database}.${e.table.name} by ${e.filtered.join(", ")}, which is not a prefix of its sorting key (${e.table.sortingKey.join(", ")}): each reads every granule`,
        suggestion:
          `ALTER TABLE ${state.database}.${e.table.name} ADD PROJECTION ${projection} (SELECT * ORDER BY (${order})); ` +
          `ALTER TABLE ${state.database}.${e.table.name} MATERIALIZE PROJECTION ${projection}` +
          ` (or, when these are the dominant queries, recreate the table with ORDER BY (${order}))`,
        evidence: { calls: e.calls, total_ms: Math.round(e.totalMs), sorting_key: e.table.sortingKey.join(", "), example: e.example.slice(0, 300) },
      };
    });
}

function materializedViews(state: ClickHouseState, queries: readonly LoggedQuery[], options: ClickHouseAdviceOptions): ClickHouseFinding[] {
  const byShape = new Map<string, { table: string; groupBy: string[]; aggregates: string[]; calls: number; totalMs: number; example: string }>();
  for (const query of queries) {
    const shape = queryShape(query.query);
    if (shape.groupBy.length === 0 || shape.aggregates.length === 0 || shape.tables.length !== 1) continue;
    const table = tableOf(state, shape.tables[0]!);
    if (table === undefined || /view/i.test(table.engine)) continue;
    const key = `${table.name}|${shape.groupBy.join(",")}`;
    const entry = byShape.get(key) ?? { table: table.name, groupBy: shape.groupBy, aggregates: shape.aggregates, calls: 0, totalMs: 0, example: query.query };
    entry.calls += query.calls;
    entry.totalMs += query.totalMs;
    byShape.set(key, entry);
  }
  return [...byShape.values()]
    .filter((e) => e.calls >= options.minCalls)
    .map((e) => {
      const view = `mv_${SUFFIX_SAFE(e.table)}_by_${SUFFIX_SAFE(e.groupBy.join("_"))}`;
      const states = e.aggregates.map((a) => `${a}State(...)`).join(", ");
      return {
        kind: "materialized_view" as const,
        table: e.table,
        message: `${e.calls} aggregation queries over ${state.database}.${e.table} group by ${e.groupBy.join(", ")} (${e.aggregates.join(", ")}), ${Math.round(e.totalMs)} ms in total`,
        suggestion:
          `CREATE MATERIALIZED VIEW ${state.database}.${view} ENGINE = AggregatingMergeTree ORDER BY (${e.groupBy.join(", ")}) ` +
          `AS SELECT ${e.groupBy.join(", ")}, ${states} FROM ${state.database}.${e.table} GROUP BY ${e.groupBy.join(", ")}; ` +
          "then read it with the matching -Merge combinators",
        evidence: { calls: e.calls, total_ms: Math.round(e.totalMs), example: e.example.slice(0, 300) },
      };
    });
}

export function analyseClickHouse(state: ClickHouseState, options: ClickHouseAdviceOptions = DEFAULT_CLICKHOUSE_ADVICE_OPTIONS): ClickHouseAdvice {
  const queries = state.queryLog ?? [];
  return {
    database: state.database,
    findings: [...tooManyParts(state, options), ...keyMismatches(state, queries, options), ...materializedViews(state, queries, options)],
    notes: [...state.notes],
  };
}
