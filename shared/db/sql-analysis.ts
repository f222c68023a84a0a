/**
 * What a statement does, from a real PostgreSQL parser (pgsql-ast-parser): read,
 * write or other; the tables it reads and writes (schema-qualified, e.g.
 * "public.users"); whether it calls volatile functions or takes row locks; and
 * so whether its result may be cached.
 *
 * pgsql-ast-parser over node-sql-parser: it adds ~43 KB gzip to the Worker
 * against ~72 KB, and it parses the statements this API writes ($1::timestamptz,
 * = any($1::bigint[]), FOR UPDATE) where node-sql-parser's PostgreSQL grammar
 * rejects them. What it cannot parse (DELETE ... USING, COPY, EXPLAIN,
 * dollar-quoted strings) is reported as uncertain, which is never cached.
 *
 * @example
 * analyzeStatement("with x as (update users set role = $1 returning id) select * from x");
 * // { kind: "write", tablesWritten: ["public.users"], tablesRead: [], cacheable: false, ... }
 */
import { parse, type Statement } from "pgsql-ast-parser";
import type { StatementKind } from "./query-types.ts";
import { rowReadOf, writeBoundsOf, type RowRead, type WriteBound } from "./row-bounds.ts";
import { SAFE_FUNCTIONS, VOLATILE_FUNCTIONS, VOLATILE_KEYWORDS, VOLATILE_TIME_LITERALS } from "./sql-functions.ts";

/** Why a statement is not cached; absent when it is. */
export type UncacheableReason =
  | "unparseable"
  | "multiple_statements"
  | "not_a_read"
  | "volatile"
  | "locking"
  | "unknown_function"
  | "system_catalog";

export interface StatementAnalysis {
  kind: StatementKind;
  /** False when the parser could not vouch for kind and tables (unparseable text). */
  certain: boolean;
  /** Tables read, schema-qualified and sorted; CTE names excluded. */
  tablesRead: readonly string[];
  /** Tables written by INSERT/UPDATE/DELETE (also inside CTEs), TRUNCATE, ALTER, DROP. */
  tablesWritten: readonly string[];
  volatile: boolean;
  /** The volatile functions or keywords seen, for diagnostics. */
  volatileCalls: readonly string[];
  /** SELECT ... FOR UPDATE / SHARE. */
  locking: boolean;
  cacheable: boolean;
  reason?: UncacheableReason;
  /** A read by id: tagged by that row (./row-bounds.ts) instead of the table's list. */
  rowRead?: RowRead;
  /** Per written table, the rows a write changed where the statement bounds them (./row-bounds.ts). */
  writeBounds?: readonly WriteBound[];
}

const DEFAULT_SCHEMA = "public";
const READ_TYPES = new Set(["select", "union", "union all", "values", "with", "with recursive"]);
const WRITE_TYPES = new Set(["insert", "update", "delete"]);
const SYSTEM_SCHEMAS = new Set(["pg_catalog", "information_schema"]);
const TIME_TYPES = /^(timestamp|timestamptz|date|time|timetz)$/;

interface QName {
  name: string;
  schema?: string;
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null;
}

function asQName(value: unknown): QName | undefined {
  if (!isNode(value) || typeof value.name !== "string") return undefined;
  return { name: value.name, schema: typeof value.schema === "string" ? value.schema : undefined };
}

/** Collects tables and properties while walking one statement's AST. */
class Walker {
  readonly reads = new Set<string>();
  readonly writes = new Set<string>();
  readonly volatileCalls = new Set<string>();
  locking = false;
  unknownFunction = false;
  systemCatalog = false;
  /** CTE names in scope, innermost last. */
  private readonly scopes: ReadonlySet<string>[] = [];

  private qualify(table: QName): string {
    const schema = table.schema ?? DEFAULT_SCHEMA;
    if (SYSTEM_SCHEMAS.has(schema) || (table.schema === undefined && table.name.startsWith("pg_"))) {
      this.systemCatalog = true;
    }
    return `${schema}.${table.name}`;
  }

  private isCte(table: QName): boolean {
    return table.schema === undefined && this.scopes.some((scope) => scope.has(table.name));
  }

  private read(value: unknown): void {
    const table = asQName(value);
    if (table !== undefined && !this.isCte(table)) this.reads.add(this.qualify(table));
  }

  private write(value: unknown): void {
    const table = asQName(value);
    if (table !== undefined) this.writes.add(this.qualify(table));
  }

  private within(names: readonly string[], visit: () => void): void {
    this.scopes.push(new Set(names));
    try {
      visit();
    } finally {
      this.scopes.pop();
    }
  }

  /** Visits any AST value: nodes it knows get their meaning, every other object is searched for them. */
  visit(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item);
      return;
    }
    if (!isNode(value)) return;
    switch (value.type) {
      case "with":
        return this.visitWith(value, false);
      case "with recursive":
        return this.visitWith(value, true);
      case "table":
        this.read(value.name);
        return;
      case "insert":
        this.write(value.into);
        return this.visitChildren(value, ["into"]);
      case "update":
        this.write(value.table);
        this.read(value.table);
        return this.visitChildren(value, ["table"]);
      case "delete":
        this.write(value.from);
        this.read(value.from);
        return this.visitChildren(value, ["from"]);
      case "truncate table":
        for (const table of asArray(value.tables)) this.write(table);
        return;
      case "drop table":
        for (const table of asArray(value.names)) this.write(table);
        return;
      case "alter table":
        this.write(value.table);
        return;
      case "call":
        this.visitCall(value);
        return this.visitChildren(value, ["function"]);
      case "keyword":
        if (typeof value.keyword === "string" && VOLATILE_KEYWORDS.has(value.keyword)) this.volatileCalls.add(value.keyword);
        return;
      case "cast":
        this.visitCast(value);
        return this.visitChildren(value, []);
      case "select":
        if (value.for !== undefined && value.for !== null) this.locking = true;
        return this.visitChildren(value, []);
      default:
        return this.visitChildren(value, []);
    }
  }

  private visitChildren(node: Node, skip: readonly string[]): void {
    for (const key of Object.keys(node)) {
      if (!skip.includes(key)) this.visit(node[key]);
    }
  }

  /**
   * WITH: each binding sees the bindings before it (without RECURSIVE, a binding
   * named like a table reads the real table); the main statement sees them all.
   */
  private visitWith(node: Node, recursive: boolean): void {
    if (recursive) {
      const name = asQName(node.alias)?.name;
      const names = name === undefined ? [] : [name];
      this.within(names, () => {
        this.visit(node.bind);
        this.visit(node.in);
      });
      return;
    }
    const names: string[] = [];
    for (const binding of asArray(node.bind)) {
      if (!isNode(binding)) continue;
      this.within([...names], () => this.visit(binding.statement));
      const name = asQName(binding.alias)?.name;
      if (name !== undefined) names.push(name);
    }
    this.within(names, () => this.visit(node.in));
  }

  private visitCall(node: Node): void {
    const fn = asQName(node.function);
    if (fn === undefined) return;
    const name = fn.name.toLowerCase();
    const args = asArray(node.args);
    // age(x) with one argument measures from current_date.
    if (VOLATILE_FUNCTIONS.has(name) || (name === "age" && args.length === 1)) {
      this.volatileCalls.add(name);
    } else if (!SAFE_FUNCTIONS.has(name) || (fn.schema !== undefined && fn.schema !== "pg_catalog")) {
      this.unknownFunction = true;
    }
  }

  private visitCast(node: Node): void {
    const operand = node.operand;
    const to = asQName(node.to);
    if (!isNode(operand) || operand.type !== "string" || typeof operand.value !== "string" || to === undefined) return;
    if (TIME_TYPES.test(to.name.toLowerCase()) && VOLATILE_TIME_LITERALS.has(operand.value.trim().toLowerCase())) {
      this.volatileCalls.add(`'${operand.value}'::${to.name}`);
    }
  }
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function kindOf(statement: Statement, writes: ReadonlySet<string>): StatementKind {
  if (WRITE_TYPES.has(statement.type)) return "write";
  if (READ_TYPES.has(statement.type)) return writes.size > 0 ? "write" : "read";
  return "other";
}

const FIRST_WORD = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*([A-Za-z]+)/;
const READ_WORDS = new Set(["select", "with", "values", "table", "show"]);
const WRITE_WORDS = new Set(["insert", "update", "delete", "merge", "upsert"]);

/** For text the parser rejects: a guess from the first keyword, flagged uncertain. */
function guessKind(sql: string): StatementKind {
  const word = FIRST_WORD.exec(sql)?.[1]?.toLowerCase() ?? "";
  if (READ_WORDS.has(word)) return "read";
  if (WRITE_WORDS.has(word)) return "write";
  return "other";
}

function uncertain(kind: StatementKind, reason: UncacheableReason): StatementAnalysis {
  return {
    kind,
    certain: false,
    tablesRead: [],
    tablesWritten: [],
    volatile: false,
    volatileCalls: [],
    locking: false,
    cacheable: false,
    reason,
  };
}

function reasonFor(kind: StatementKind, walker: Walker): UncacheableReason | undefined {
  if (kind !== "read") return "not_a_read";
  if (walker.volatileCalls.size > 0) return "volatile";
  if (walker.locking) return "locking";
  if (walker.unknownFunction) return "unknown_function";
  if (walker.systemCatalog) return "system_catalog";
  return undefined;
}

/**
 * Parses one statement and says what it does. Never throws: unparseable text is
 * an uncertain, uncacheable analysis with a kind guessed from its first keyword.
 */
export function analyzeStatement(sql: string): StatementAnalysis {
  let statements: Statement[];
  try {
    statements = parse(sql);
  } catch {
    return uncertain(guessKind(sql), "unparseable");
  }
  const walker = new Walker();
  walker.visit(statements);
  const kinds = statements.map((statement) => kindOf(statement, walker.writes));
  const kind: StatementKind = kinds.includes("write") ? "write" : kinds.includes("other") ? "other" : "read";
  const reason = statements.length === 1 ? reasonFor(kind, walker) : "multiple_statements";
  const qualify = (name: unknown) => {
    const table = asQName(name);
    return table === undefined ? undefined : `${table.schema ?? DEFAULT_SCHEMA}.${table.name}`;
  };
  const analysis: StatementAnalysis = {
    kind,
    certain: statements.length === 1,
    tablesRead: [...walker.reads].sort(),
    tablesWritten: [...walker.writes].sort(),
    volatile: walker.volatileCalls.size > 0,
    volatileCalls: [...walker.volatileCalls],
    locking: walker.locking,
    cacheable: reason === undefined,
  };
  if (reason !== undefined) analysis.reason = reason;
  if (statements.length === 1) {
    const only = statements[0]!;
    const rowRead = analysis.cacheable && analysis.tablesRead.length === 1 ? rowReadOf(only, qualify, sql) : undefined;
    if (rowRead !== undefined && rowRead.table === analysis.tablesRead[0]) analysis.rowRead = rowRead;
    const bounds = kind === "write" ? writeBoundsOf(only, qualify) : undefined;
    if (bounds !== undefined) analysis.writeBounds = bounds;
  }
  return analysis;
}
