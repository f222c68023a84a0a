/**
 * Row-precise cache tags: which rows a read depends on and which rows a write
 * can have changed, when the statement says so plainly enough to be sure.
 *
 * Rows are named by their `id` column's value (`public.users:id=42`). That is
 * sound for any table with an `id` column, unique or not: a read filtered on
 * `id = $n` sees only rows with that id, and a write bounded here changes only
 * rows whose id it names and never changes an id. Tags:
 * - `<table>`: every read of the table carries it; a write that cannot be bounded bumps it.
 * - `<table>:list`: reads that are not by id carry it; every write to the table bumps it.
 * - `<table>:id=<v>`: a read by id carries it; a bounded write bumps it for each row it names.
 *
 * A write is bounded when, for its table, it is:
 * - an UPDATE/DELETE whose WHERE has a top-level `id = $n` or `id = any($n)` conjunct
 *   (an UPDATE must not SET id): the rows are the parameter's values, known even when
 *   the outcome of the statement is not;
 * - else an INSERT/UPDATE/DELETE whose RETURNING exposes id (`id`, `*`, `id::text AS x`),
 *   at top level or in a CTE the statement returns whole (`SELECT * FROM cte`): the rows
 *   are in the result, so a write whose outcome is unknown bumps the table.
 * An INSERT ... ON CONFLICT DO UPDATE SET id, or an id that is not a canonical integer, is
 * not bounded. Writes done by triggers or ON DELETE CASCADE are invisible here, as they are to
 * the table-level analysis.
 */
import type { Statement } from "pgsql-ast-parser";

export const ROW_KEY = "id";

/** Where the rows a write changed come from, per written table. */
export type WriteBound =
  | { table: string; by: "params"; params: readonly number[]; arrays: readonly number[] }
  | { table: string; by: "returning"; column: string }
  | { table: string; by: "table" };

/** A read of one table filtered by `id = $param` (0-based index). */
export interface RowRead {
  table: string;
  param: number;
}

type Node = Record<string, unknown>;
type Qualify = (name: unknown) => string | undefined;

const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null;
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

export const listTag = (table: string) => `${table}:list`;
export const rowTag = (table: string, key: string) => `${table}:${ROW_KEY}=${key}`;

/** The canonical text of an id value, or undefined when it is not a canonical integer (then no row tag). */
export function rowKey(value: unknown): string | undefined {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : undefined;
  if (typeof value === "string" && /^(0|-?[1-9][0-9]{0,18})$/.test(value)) return value;
  return undefined;
}

/** `$3` (possibly cast) -> 2. */
function paramIndex(node: unknown): number | undefined {
  if (!isNode(node)) return undefined;
  if (node.type === "cast") return paramIndex(node.operand);
  if (node.type !== "parameter") return undefined;
  const n = Number(str(node.name)?.slice(1));
  return Number.isInteger(n) && n >= 1 ? n - 1 : undefined;
}

/** Whether node is the id column of the table known by these names. */
function isKeyRef(node: unknown, names: ReadonlySet<string>): boolean {
  if (!isNode(node) || node.type !== "ref" || node.name !== ROW_KEY) return false;
  const table = isNode(node.table) ? str(node.table.name) : undefined;
  return table === undefined || names.has(table);
}

function conjuncts(where: unknown): unknown[] {
  if (isNode(where) && where.type === "binary" && str(where.op)?.toUpperCase() === "AND") return [...conjuncts(where.left), ...conjuncts(where.right)];
  return [where];
}

/** The `id = $n` and `id = any($n)` conjuncts of a WHERE. */
function keyParams(where: unknown, names: ReadonlySet<string>): { params: number[]; arrays: number[] } {
  const params: number[] = [];
  const arrays: number[] = [];
  for (const c of conjuncts(where)) {
    if (!isNode(c) || c.type !== "binary" || c.op !== "=") continue;
    for (const [key, other] of [[c.left, c.right], [c.right, c.left]] as const) {
      if (!isKeyRef(key, names)) continue;
      const p = paramIndex(other);
      if (p !== undefined) {
        params.push(p);
        continue;
      }
      if (isNode(other) && other.type === "call" && isNode(other.function) && str(other.function.name)?.toLowerCase() === "any") {
        const args = Array.isArray(other.args) ? other.args : [];
        const a = args.length === 1 ? paramIndex(args[0]) : undefined;
        if (a !== undefined) arrays.push(a);
      }
    }
  }
  return { params, arrays };
}

/** The output column that carries id in a RETURNING list, if any. */
function returnedKey(returning: unknown, names: ReadonlySet<string>): string | undefined {
  if (!Array.isArray(returning)) return undefined;
  for (const item of returning) {
    if (!isNode(item)) continue;
    let expr = item.expr;
    const alias = isNode(item.alias) ? str(item.alias.name) : undefined;
    if (isNode(expr) && expr.type === "ref" && expr.name === "*") return ROW_KEY;
    while (isNode(expr) && expr.type === "cast") expr = expr.operand;
    if (isKeyRef(expr, names)) return alias ?? ROW_KEY;
  }
  return undefined;
}

function namesOf(name: unknown): Set<string> {
  const names = new Set<string>();
  if (isNode(name)) {
    const n = str(name.name);
    const alias = str(name.alias);
    if (n !== undefined) names.add(n);
    if (alias !== undefined) names.add(alias);
  }
  return names;
}

/** What a single INSERT/UPDATE/DELETE lets us bound; `returned`: how the statement's result exposes its RETURNING. */
function boundOf(write: Node, qualify: Qualify, returned: (column: string) => string | undefined): WriteBound | undefined {
  const target = write.type === "insert" ? write.into : write.type === "update" ? write.table : write.from;
  const table = qualify(target);
  if (table === undefined) return undefined;
  const names = namesOf(target);
  const setsKey = (sets: unknown) => Array.isArray(sets) && sets.some((s) => isNode(s) && isNode(s.column) && s.column.name === ROW_KEY);
  if (write.type === "update" && setsKey(write.sets)) return { table, by: "table" };
  if (write.type === "insert" && isNode(write.onConflict) && isNode(write.onConflict.do) && setsKey(write.onConflict.do.sets)) return { table, by: "table" };
  if (write.type !== "insert") {
    const { params, arrays } = keyParams(write.where, names);
    if (params.length > 0 || arrays.length > 0) return { table, by: "params", params, arrays };
  }
  const column = returnedKey(write.returning, names);
  const exposed = column === undefined ? undefined : returned(column);
  return exposed === undefined ? { table, by: "table" } : { table, by: "returning", column: exposed };
}

/** `SELECT * FROM cte` (or `SELECT cols FROM cte`) with nothing that drops rows: the CTE's output column `column` under its name here. */
function passThrough(main: unknown, cte: string, column: string): string | undefined {
  if (!isNode(main) || main.type !== "select") return undefined;
  const from = Array.isArray(main.from) ? main.from : [];
  const only = from.length === 1 && isNode(from[0]) && from[0].type === "table" && isNode(from[0].name) ? from[0].name : undefined;
  if (only === undefined || only.name !== cte || only.schema !== undefined || from[0]!.join !== undefined) return undefined;
  for (const clause of ["where", "limit", "groupBy", "having", "distinct", "orderBy"] as const) if (main[clause] !== undefined && main[clause] !== null) return undefined;
  const alias = str(only.alias);
  const names = new Set([cte, ...(alias === undefined ? [] : [alias])]);
  for (const item of Array.isArray(main.columns) ? main.columns : []) {
    if (!isNode(item) || !isNode(item.expr) || item.expr.type !== "ref") continue;
    const table = isNode(item.expr.table) ? str(item.expr.table.name) : undefined;
    if (table !== undefined && !names.has(table)) continue;
    if (item.expr.name === "*") return column;
    if (item.expr.name === column) return (isNode(item.alias) ? str(item.alias.name) : undefined) ?? column;
  }
  return undefined;
}

/**
 * The bound of every table the statement writes, for a top-level write or a WITH whose
 * bindings write; undefined when the shape is anything else (the caller bumps whole tables).
 */
export function writeBoundsOf(statement: Statement, qualify: Qualify): WriteBound[] | undefined {
  const node = statement as unknown as Node;
  if (node.type === "insert" || node.type === "update" || node.type === "delete") {
    const bound = boundOf(node, qualify, (column) => column);
    return bound === undefined ? undefined : [bound];
  }
  if (node.type !== "with" || !Array.isArray(node.bind)) return undefined;
  const bounds: WriteBound[] = [];
  for (const binding of node.bind) {
    if (!isNode(binding) || !isNode(binding.statement)) continue;
    const inner = binding.statement;
    if (inner.type !== "insert" && inner.type !== "update" && inner.type !== "delete") continue;
    const cte = isNode(binding.alias) ? str(binding.alias.name) : undefined;
    const bound = boundOf(inner, qualify, (column) => (cte === undefined ? undefined : passThrough(node.in, cte, column)));
    if (bound === undefined) return undefined;
    bounds.push(bound);
  }
  return bounds;
}

/** A single-table SELECT filtered by a top-level `id = $n`, with no subquery that could scan more rows. */
export function rowReadOf(statement: Statement, qualify: Qualify, sql: string): RowRead | undefined {
  const node = statement as unknown as Node;
  if (node.type !== "select" || !Array.isArray(node.from) || node.from.length !== 1) return undefined;
  const from = node.from[0];
  if (!isNode(from) || from.type !== "table" || from.join !== undefined) return undefined;
  // One SELECT in the whole text: no subquery, CTE or set operation reads anything else.
  if ((sql.match(/\bselect\b/gi) ?? []).length !== 1) return undefined;
  const table = qualify(from.name);
  if (table === undefined) return undefined;
  const { params } = keyParams(node.where, namesOf(from.name));
  return params.length === 0 ? undefined : { table, param: params[0]! };
}
