/**
 * What a statement does with each table, read from Postgres' own generic plan instead of a
 * JS parser: every scan node names its relation and alias, and its conditions (Filter,
 * Index Cond, Recheck Cond), the joins' conditions, Sort Key, Group Key and Output are
 * deparsed by Postgres itself. So any statement Postgres can PREPARE gives usages,
 * including JSONB `->>`, `lower(...)`, LIKE and constant predicates.
 *
 * Placeholders inside an indexable expression (`attrs ->> $1`: pg_stat_statements turned the
 * JSON key into $1), LIKE patterns and equality values that are placeholders are returned as
 * `needs`: the caller finds representative values (representative.ts, skew.ts) and plans the
 * statement again.
 */
import { tableKey, type Catalog, type TableInfo } from "./catalog.ts";
import type { TableUsage } from "./candidates.ts";
import type { PlanNode } from "./planner.ts";
import { classify, conjuncts, rowSide, sortEntry, type RowSide } from "./quals.ts";

/** A placeholder whose value decides which index can serve the statement. */
export type Need =
  | { kind: "json-key"; param: number; table: TableInfo; column: string }
  | { kind: "like-pattern"; param: number; table: TableInfo; key: string }
  /** `column = $n`: when the column's values are skewed, which value the workload asks for decides the plan (skew.ts). */
  | { kind: "eq-value"; param: number; table: TableInfo; column: string };

export interface PlanUsage {
  usages: TableUsage[];
  needs: Need[];
}

const CONDITIONS = ["Filter", "Index Cond", "Recheck Cond", "Join Filter", "Hash Cond", "Merge Cond", "TID Cond"];

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function children(node: PlanNode): PlanNode[] {
  const plans = node.Plans;
  return Array.isArray(plans) ? plans.filter((p): p is PlanNode => typeof p === "object" && p !== null) : [];
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The JSONB column an expression such as `(attrs ->> $1)` extracts from, when it is one. */
function jsonColumn(side: RowSide, table: TableInfo): string | undefined {
  const m = /^\(\(?([A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")+")\s*->>?\s*\$\d+\)?\)$/.exec(side.key);
  if (!m) return undefined;
  const column = m[1]!.replace(/^"|"$/g, "");
  return table.columns.includes(column) ? column : undefined;
}

export function usagesFromPlan(root: PlanNode, catalog: Catalog): PlanUsage {
  const aliases = new Map<string, TableInfo>();
  const scan = (node: PlanNode) => {
    const relation = node["Relation Name"];
    if (typeof relation === "string") {
      const schema = typeof node.Schema === "string" ? node.Schema : "public";
      const table = catalog.tables.get(tableKey(schema, relation));
      if (table !== undefined) aliases.set(typeof node.Alias === "string" ? node.Alias : relation, table);
    }
    for (const child of children(node)) scan(child);
  };
  scan(root);

  const byTable = new Map<TableInfo, TableUsage>();
  const usageOf = (alias: string): TableUsage | undefined => {
    const table = aliases.get(alias);
    if (table === undefined) return undefined;
    let usage = byTable.get(table);
    if (usage === undefined) {
      usage = { table, eq: [], range: [], sort: [], sortDesc: [], group: [], like: [], partial: [], selected: new Set() };
      byTable.set(table, usage);
    }
    return usage;
  };
  const needs: Need[] = [];
  const known = (side: RowSide, usage: TableUsage) => side.expression || usage.table.columns.includes(side.key);

  const visit = (node: PlanNode) => {
    for (const field of CONDITIONS) {
      for (const condition of strings(node[field])) {
        for (const text of conjuncts(condition)) {
          const conjunct = classify(text);
          if (conjunct.kind === "join") {
            for (const side of [conjunct.left, conjunct.right]) {
              const usage = usageOf(side.alias);
              if (usage && known(side, usage)) pushUnique(usage.eq, side.key);
            }
          } else if (conjunct.kind === "constant") {
            const usage = usageOf(conjunct.alias);
            if (usage) pushUnique(usage.partial, conjunct.text);
          } else if (conjunct.kind !== "other") {
            const usage = usageOf(conjunct.side.alias);
            if (!usage || !known(conjunct.side, usage)) continue;
            const json = conjunct.side.expression ? jsonColumn(conjunct.side, usage.table) : undefined;
            if (json !== undefined) {
              // The key is a placeholder: no index can be named until a representative key is chosen.
              needs.push({ kind: "json-key", param: conjunct.side.params[0]!, table: usage.table, column: json });
              continue;
            }
            if (conjunct.side.params.length > 0) continue;
            if (conjunct.kind === "like" && conjunct.param !== undefined) {
              needs.push({ kind: "like-pattern", param: conjunct.param, table: usage.table, key: conjunct.side.key });
            }
            if (conjunct.kind === "eq" && conjunct.param !== undefined && !conjunct.side.expression) {
              needs.push({ kind: "eq-value", param: conjunct.param, table: usage.table, column: conjunct.side.key });
            }
            const list = conjunct.kind === "eq" ? usage.eq : conjunct.kind === "range" ? usage.range : usage.like;
            pushUnique(list, conjunct.side.key);
          }
        }
      }
    }
    // An explicit sort or grouping on one table's keys: an index in that order can replace it.
    for (const [field, target] of [["Sort Key", "sort"], ["Group Key", "group"]] as const) {
      const entries = strings(node[field]).map(sortEntry);
      if (entries.length === 0 || entries.some((e) => e === undefined)) continue;
      const owners = new Set(entries.map((e) => e!.side.alias));
      if (owners.size !== 1) continue;
      const usage = usageOf([...owners][0]!);
      if (!usage || entries.some((e) => !known(e!.side, usage) || e!.side.params.length > 0)) continue;
      for (const entry of entries) {
        pushUnique(usage[target], entry!.side.key);
        if (target === "sort" && entry!.descending) pushUnique(usage.sortDesc, entry!.side.key);
      }
    }
    // A single-table plan prints its outputs without the alias.
    const only = aliases.size === 1 ? [...aliases.keys()][0]! : undefined;
    for (const output of strings(node.Output)) {
      const plainColumn = /^[A-Za-z_][A-Za-z0-9_$]*$/.test(output) && only !== undefined;
      const side = rowSide(plainColumn ? `${only}.${output}` : output);
      if (side === undefined) continue;
      const usage = usageOf(side.alias);
      if (usage?.selected && !side.expression && usage.table.columns.includes(side.key)) usage.selected.add(side.key);
    }
    for (const child of children(node)) visit(child);
  };
  visit(root);
  // Writes fetch whole rows: no covering index for them.
  if (root["Node Type"] === "ModifyTable") for (const usage of byTable.values()) usage.selected = null;
  return { usages: [...byTable.values()], needs };
}
