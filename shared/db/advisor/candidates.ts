/**
 * Candidate indexes from a statement's SQL, found with a real parser (pgsql-ast-parser):
 * per table, the columns compared for equality (WHERE, JOIN ... ON, IN, = ANY, IS NULL),
 * the range-filtered columns, ORDER BY and GROUP BY. Candidates are B-trees with equality
 * columns first, then one range column, then the sort columns; plus a covering variant
 * (INCLUDE) when the statement reads only a few other columns, so an index-only scan can
 * skip the heap. The planner (what-if) decides which of them are worth anything.
 */
import { parse } from "pgsql-ast-parser";
import { tableKey, type Catalog, type TableInfo } from "./catalog.ts";
import { candidateKey, isExpressionKey } from "./ident.ts";
import type { IndexCandidate } from "./types.ts";

/** What one statement does with one table's columns. */
export interface TableUsage {
  table: TableInfo;
  eq: string[];
  range: string[];
  sort: string[];
  /** Sort keys ordered DESC (meaningful only next to ascending ones). */
  sortDesc: string[];
  group: string[];
  /** Keys compared with LIKE (a prefix pattern can use a B-tree). */
  like: string[];
  /** Constant conditions (`NOT archived`, `deleted_at IS NOT NULL`): a partial index's WHERE. */
  partial: string[];
  /** Columns the statement reads from the table; null when it reads all of them (`*`). */
  selected: Set<string> | null;
}

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value);
const asNodes = (value: unknown): Node[] => (Array.isArray(value) ? value.filter(isNode) : []);

const EQ_OPS = new Set(["=", "IN", "IS NULL"]);
const RANGE_OPS = new Set(["<", "<=", ">", ">=", "BETWEEN"]);
/** At most this many INCLUDE columns: past that the index is a second copy of the table. */
const MAX_INCLUDE = 3;

interface Scope {
  /** alias or table name -> table */
  aliases: Map<string, TableInfo>;
  usage: Map<TableInfo, TableUsage>;
}

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

class UsageCollector {
  readonly usages: TableUsage[] = [];
  constructor(private readonly catalog: Catalog) {}

  private lookup(name: Node): TableInfo | undefined {
    const table = String(name.name);
    const schema = typeof name.schema === "string" ? name.schema : undefined;
    if (schema !== undefined) return this.catalog.tables.get(tableKey(schema, table));
    return this.catalog.tables.get(tableKey("public", table)) ??
      [...this.catalog.tables.values()].find((t) => t.table === table);
  }

  private usageOf(scope: Scope, table: TableInfo): TableUsage {
    let usage = scope.usage.get(table);
    if (usage === undefined) {
      usage = { table, eq: [], range: [], sort: [], sortDesc: [], group: [], like: [], partial: [], selected: new Set() };
      scope.usage.set(table, usage);
      this.usages.push(usage);
    }
    return usage;
  }

  private addTable(scope: Scope, name: Node): TableInfo | undefined {
    const table = this.lookup(name);
    if (table === undefined) return undefined;
    const alias = typeof name.alias === "string" ? name.alias : String(name.name);
    scope.aliases.set(alias, table);
    this.usageOf(scope, table);
    return table;
  }

  /** The table and column a reference names, when it is a plain column of a known table. */
  private resolve(scope: Scope, expr: unknown): { usage: TableUsage; column: string } | undefined {
    if (!isNode(expr) || expr.type !== "ref" || expr.name === "*") return undefined;
    const column = String(expr.name);
    let table: TableInfo | undefined;
    if (isNode(expr.table)) {
      table = scope.aliases.get(String(expr.table.name));
    } else {
      const owners = [...new Set(scope.aliases.values())].filter((t) => t.columns.includes(column));
      table = owners.length === 1 ? owners[0] : undefined;
    }
    if (table === undefined || !table.columns.includes(column)) return undefined;
    return { usage: this.usageOf(scope, table), column };
  }

  private isValue(expr: unknown): boolean {
    if (!isNode(expr)) return false;
    if (expr.type === "parameter" || expr.type === "null" || expr.type === "list") return true;
    if (["integer", "numeric", "string", "boolean", "constant"].includes(String(expr.type))) return true;
    if (expr.type === "cast") return this.isValue(expr.operand);
    if (expr.type === "call" && isNode(expr.function) && ["any", "now", "current_timestamp"].includes(String(expr.function.name).toLowerCase())) return true;
    if (expr.type === "keyword") return true;
    // `now() - interval '1 day'`, `$1::timestamptz - $2`: still a value independent of the row.
    if (expr.type === "binary" && ["+", "-", "*", "/"].includes(String(expr.op))) return this.isValue(expr.left) && this.isValue(expr.right);
    return false;
  }

  private predicate(scope: Scope, expr: unknown): void {
    if (!isNode(expr)) return;
    if (expr.type === "binary" && expr.op === "AND") {
      this.predicate(scope, expr.left);
      this.predicate(scope, expr.right);
      return;
    }
    if (expr.type === "unary" && expr.op === "IS NULL") {
      const ref = this.resolve(scope, expr.operand);
      if (ref) pushUnique(ref.usage.eq, ref.column);
      return;
    }
    if (expr.type === "ternary" && expr.op === "BETWEEN") {
      const ref = this.resolve(scope, expr.value);
      if (ref) pushUnique(ref.usage.range, ref.column);
      return;
    }
    if (expr.type !== "binary") {
      this.subqueries(expr);
      return;
    }
    const op = String(expr.op);
    const left = this.resolve(scope, expr.left);
    const right = this.resolve(scope, expr.right);
    if (op === "=" && left && right) {
      // A join condition: each side is an equality lookup for the other.
      pushUnique(left.usage.eq, left.column);
      pushUnique(right.usage.eq, right.column);
      return;
    }
    const ref = left && this.isValue(expr.right) ? left : right && this.isValue(expr.left) ? right : undefined;
    if (ref === undefined) {
      this.subqueries(expr);
      return;
    }
    if (EQ_OPS.has(op)) pushUnique(ref.usage.eq, ref.column);
    else if (RANGE_OPS.has(op)) pushUnique(ref.usage.range, ref.column);
    else if (op === "LIKE") pushUnique(ref.usage.like, ref.column);
    this.subqueries(expr);
  }

  /** Sub-selects anywhere in an expression are statements of their own. */
  private subqueries(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.subqueries(item);
      return;
    }
    if (!isNode(value)) return;
    if (["select", "union", "union all", "with", "values"].includes(String(value.type)) && ("from" in value || "bind" in value || "left" in value)) {
      this.statement(value);
      return;
    }
    for (const child of Object.values(value)) this.subqueries(child);
  }

  private select(node: Node): void {
    const scope: Scope = { aliases: new Map(), usage: new Map() };
    for (const from of asNodes(node.from)) {
      if (from.type === "table" && isNode(from.name)) this.addTable(scope, from.name);
      else if (from.type === "statement" && isNode(from.statement)) this.statement(from.statement);
    }
    for (const from of asNodes(node.from)) {
      if (isNode(from.join)) this.predicate(scope, from.join.on);
    }
    this.predicate(scope, node.where);
    const columns = asNodes(node.columns);
    for (const column of columns) {
      const expr = column.expr;
      if (isNode(expr) && expr.type === "ref" && expr.name === "*") {
        const owner = isNode(expr.table) ? scope.aliases.get(String(expr.table.name)) : undefined;
        for (const usage of scope.usage.values()) if (owner === undefined || usage.table === owner) usage.selected = null;
        continue;
      }
      this.collectRefs(scope, expr);
    }
    this.collectRefs(scope, node.having);
    const order = asNodes(node.orderBy).map((o) => this.resolve(scope, o.by));
    if (order.length > 0 && order.every((o) => o !== undefined) && new Set(order.map((o) => o!.usage)).size === 1) {
      for (const o of order) pushUnique(o!.usage.sort, o!.column);
      asNodes(node.orderBy).forEach((o, i) => {
        if (String(o.order).toUpperCase() === "DESC") pushUnique(order[i]!.usage.sortDesc, order[i]!.column);
      });
    }
    for (const o of order) if (o) o.usage.selected?.add(o.column);
    const group = (Array.isArray(node.groupBy) ? node.groupBy : []).map((g) => this.resolve(scope, g));
    if (group.length > 0 && group.every((g) => g !== undefined) && new Set(group.map((g) => g!.usage)).size === 1) {
      for (const g of group) pushUnique(g!.usage.group, g!.column);
    }
    for (const g of group) if (g) g.usage.selected?.add(g.column);
  }

  /** Every column a select-list or HAVING expression reads (for covering indexes). */
  private collectRefs(scope: Scope, value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.collectRefs(scope, item);
      return;
    }
    if (!isNode(value)) return;
    if (value.type === "ref") {
      const ref = this.resolve(scope, value);
      if (ref) ref.usage.selected?.add(ref.column);
      return;
    }
    if (value.type === "select") {
      this.statement(value);
      return;
    }
    for (const child of Object.values(value)) this.collectRefs(scope, child);
  }

  statement(node: Node): void {
    switch (node.type) {
      case "select":
        this.select(node);
        return;
      case "union":
      case "union all":
        if (isNode(node.left)) this.statement(node.left);
        if (isNode(node.right)) this.statement(node.right);
        return;
      case "with":
        for (const bind of asNodes(node.bind)) if (isNode(bind.statement)) this.statement(bind.statement);
        if (isNode(node.in)) this.statement(node.in);
        return;
      case "update":
      case "delete": {
        const target = node.type === "update" ? node.table : node.from;
        if (!isNode(target)) return;
        const scope: Scope = { aliases: new Map(), usage: new Map() };
        const table = this.addTable(scope, target);
        for (const from of asNodes(node.from)) if (from.type === "table" && isNode(from.name)) this.addTable(scope, from.name);
        this.predicate(scope, node.where);
        // Writes fetch whole rows: no covering index for them.
        if (table) for (const usage of scope.usage.values()) usage.selected = null;
        return;
      }
      default:
        return;
    }
  }
}

/** Per-table column usage of one statement; undefined when the parser cannot read it. */
export function analyseStatement(sql: string, catalog: Catalog): TableUsage[] | undefined {
  let statements: unknown[];
  try {
    statements = parse(sql);
  } catch {
    return undefined;
  }
  const collector = new UsageCollector(catalog);
  for (const statement of statements) if (isNode(statement)) collector.statement(statement);
  return collector.usages;
}

/** A LIKE key needs text_pattern_ops when it is (or is computed from) a text column with a non-C collation. */
function needsPatternOps(table: TableInfo, key: string): boolean {
  if (!isExpressionKey(key)) return table.patternOpsColumns.includes(key);
  return table.patternOpsColumns.some((column) => new RegExp(`\\b${column.replace(/[^A-Za-z0-9_]/g, "")}\\b`).test(key));
}

/**
 * The candidate B-trees for one table usage, most specific first: equality keys, then one
 * range key, then the sort (or group) keys; a LIKE key after the equality keys (with
 * text_pattern_ops where the collation needs it); covering variants; partial variants when
 * the statement has constant conditions; and the single-key alternatives the selection
 * weighs the composites against.
 */
export function candidatesFor(usage: TableUsage): IndexCandidate[] {
  const { table, eq, range, sort, group, like, partial } = usage;
  const out: IndexCandidate[] = [];
  const where = partial.length > 0 ? partial.join(" AND ") : undefined;
  const add = (columns: string[], reasons: string[], include: string[] = [], extra: { patternOps?: string[]; descending?: string[]; where?: string } = {}) => {
    const unique = columns.filter((c, i) => columns.indexOf(c) === i);
    if (unique.length === 0) return;
    const candidate: IndexCandidate = { schema: table.schema, table: table.table, columns: unique, include: include.filter((c) => !unique.includes(c)), reasons };
    if (extra.patternOps && extra.patternOps.length > 0) candidate.patternOps = extra.patternOps;
    if (extra.descending && extra.descending.length > 0) candidate.descending = extra.descending;
    if (extra.where) candidate.where = extra.where;
    out.push(candidate);
  };
  const eqReasons = eq.map((c) => `eq:${c}`);
  const firstRange = range[0];
  const sortUsable = sort.length > 0 && (firstRange === undefined || firstRange === sort[0]);
  const composites: { columns: string[]; reasons: string[]; patternOps?: string[]; descending?: string[] }[] = [];
  // Mixed directions need the DESC keys stored descending; uniform ones are read backwards.
  const mixed = usage.sortDesc.length > 0 && usage.sortDesc.length < sort.length;
  if (firstRange !== undefined) composites.push({ columns: [...eq, firstRange], reasons: [...eqReasons, `range:${firstRange}`] });
  if (sortUsable) {
    composites.push({ columns: [...eq, ...sort], reasons: [...eqReasons, ...sort.map((c) => `sort:${c}`)], ...(mixed ? { descending: usage.sortDesc.filter((c) => sort.includes(c)) } : {}) });
  }
  if (group.length > 0) composites.push({ columns: [...eq, ...group], reasons: [...eqReasons, ...group.map((c) => `group:${c}`)] });
  // A range with GROUP BY: the group keys after the range (index-only scan of the range) or before it (groups in order).
  if (firstRange !== undefined && group.length > 0) {
    composites.push({ columns: [...eq, firstRange, ...group], reasons: [...eqReasons, `range:${firstRange}`, ...group.map((c) => `group:${c}`)] });
  }
  for (const key of like) {
    const patternOps = needsPatternOps(table, key) ? [key] : [];
    composites.push({ columns: [...eq, key], reasons: [...eqReasons, `like:${key}`], patternOps });
  }
  if (eq.length > 1) composites.push({ columns: [...eq], reasons: eqReasons });
  for (const composite of composites) {
    const variants = where === undefined ? [undefined] : [undefined, where];
    for (const predicate of variants) {
      const reasons = predicate === undefined ? composite.reasons : [...composite.reasons, `partial:${predicate}`];
      const extra = { patternOps: composite.patternOps, descending: composite.descending, where: predicate };
      add(composite.columns, reasons, [], extra);
      if (usage.selected !== null) {
        const cols = [...usage.selected].filter((c) => !composite.columns.includes(c));
        if (cols.length > 0 && cols.length <= MAX_INCLUDE) add(composite.columns, [...reasons, "covering"], cols, extra);
      }
    }
  }
  for (const column of eq) {
    add([column], [`eq:${column}`]);
    if (where !== undefined) add([column], [`eq:${column}`, `partial:${where}`], [], { where });
  }
  if (firstRange !== undefined) add([firstRange], [`range:${firstRange}`]);
  if (sort.length > 0 && eq.length === 0) add(sort, sort.map((c) => `sort:${c}`));
  return out;
}
