/**
 * Reads the conditions Postgres prints in an EXPLAIN (VERBOSE) plan: `Filter`, `Index Cond`,
 * `Hash Cond` and friends are deparsed SQL such as
 * `((NOT p.archived) AND ((p.attrs ->> $1) = $2) AND (lower(p.name) ~~ $3))`.
 * Splits them into conjuncts and classifies each one by what an index could do with it.
 * Pure text work; the plan walker (plan-usage.ts) decides which table a reference belongs to.
 */

/** One side of a comparison: a plain column of an alias, or an expression over one alias's columns. */
export interface RowSide {
  alias: string;
  /** A column name, or an expression in parentheses with the alias prefixes removed. */
  key: string;
  /** True when `key` is an expression rather than a plain column. */
  expression: boolean;
  /** The $n placeholders inside the expression (e.g. the JSON key of `attrs ->> $1`). */
  params: number[];
}

export type Conjunct =
  | { kind: "eq" | "range" | "like"; side: RowSide; /** The $n the value side is, when it is exactly one (an equality's value, a LIKE pattern). */ param?: number }
  | { kind: "join"; left: RowSide; right: RowSide }
  /** A condition with no value to look up: `NOT archived`, `deleted_at IS NULL`; a partial index's WHERE. */
  | { kind: "constant"; alias: string; text: string }
  | { kind: "other"; text: string };

const COMPARISON = /^(.*?)\s(=|<>|<=|>=|<|>|~~\*|~~|!~~)\s(ANY\s)?(.*)$/s;
const REF = /\b([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")\.([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")/g;

/** Removes one pair of parentheses that encloses the whole text. */
export function stripOuter(text: string): string {
  let t = text.trim();
  while (t.startsWith("(") && t.endsWith(")") && closingOf(t, 0) === t.length - 1) t = t.slice(1, -1).trim();
  return t;
}

function closingOf(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Top-level pieces of `text` separated by `sep` (outside parentheses and quotes). */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      parts.push(text.slice(start, i));
      i += sep.length - 1;
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function conjuncts(condition: string): string[] {
  return splitTop(stripOuter(condition), " AND ").map(stripOuter);
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name;
}

/** The aliases a piece of deparsed SQL refers to (outside string literals). */
function aliasesIn(text: string): Set<string> {
  const withoutLiterals = text.replace(/'(?:[^']|'')*'/g, "''");
  return new Set([...withoutLiterals.matchAll(REF)].map((m) => unquote(m[1]!)));
}

/** `p.name` -> `name`, `lower(p.name)` -> `(lower(name))`; undefined when it mixes aliases or reads none. */
export function rowSide(text: string): RowSide | undefined {
  const t = stripOuter(text);
  const aliases = aliasesIn(t);
  if (aliases.size !== 1) return undefined;
  const alias = [...aliases][0]!;
  const plain = /^([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")\.([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$/.exec(t);
  // `(p.name)::text` is the column itself as far as an index on it is concerned.
  const cast = /^\(([^()]+)\)::[a-z ]+$/.exec(t);
  const column = plain ?? (cast ? /^([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")\.([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$/.exec(cast[1]!.trim()) : null);
  if (column) return { alias, key: unquote(column[2]!), expression: false, params: [] };
  const key = `(${stripAliases(t)})`;
  const params = [...t.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  return { alias, key, expression: true, params };
}

/** `p.archived` -> `archived`: conditions as they would read inside the table's own index definition. */
export function stripAliases(text: string): string {
  return text.replace(REF, (_m, _a: string, col: string) => col);
}

/** A value side: parameters, literals, functions of them; no column of any table. */
function isValue(text: string): boolean {
  return aliasesIn(text).size === 0;
}

export function classify(text: string): Conjunct {
  const t = stripOuter(text);
  const negated = /^NOT\s+(.+)$/s.exec(t);
  const negatedSide = negated ? rowSide(negated[1]!) : undefined;
  if (negatedSide?.expression === false) return { kind: "constant", alias: negatedSide.alias, text: stripAliases(t) };
  const nullTest = /^(.+?)\s+IS\s+(NOT\s+)?NULL$/s.exec(t);
  if (nullTest) {
    const side = rowSide(nullTest[1]!);
    if (side && !side.expression) return nullTest[2] ? { kind: "constant", alias: side.alias, text: stripAliases(t) } : { kind: "eq", side };
  }
  const bare = rowSide(t);
  if (bare && !bare.expression) return { kind: "constant", alias: bare.alias, text: stripAliases(t) };
  const match = COMPARISON.exec(t);
  if (!match) return { kind: "other", text: t };
  const [, lhs, op, any, rhs] = match as unknown as [string, string, string, string | undefined, string];
  const left = rowSide(lhs);
  const right = rowSide(any ? rhs.replace(/^\(|\)$/g, "") : rhs);
  if (op === "=" && !any && left && right && left.alias !== right.alias) return { kind: "join", left, right };
  // Postgres prints the row side first for a qual it can index; values on the left are turned around.
  const side = left && isValue(rhs) ? left : undefined;
  if (side === undefined) return { kind: "other", text: t };
  const param = any ? null : /^\$(\d+)$/.exec(stripOuter(rhs));
  const value = param ? { param: Number(param[1]) } : {};
  if (op === "=") return { kind: "eq", side, ...value };
  if (op === "~~") return { kind: "like", side, ...value };
  if (op === "<" || op === "<=" || op === ">" || op === ">=") return { kind: "range", side };
  return { kind: "other", text: t };
}

/** `p.created_at DESC` -> side and direction (Sort Key / Group Key entries). */
export function sortEntry(text: string): { side: RowSide; descending: boolean } | undefined {
  // A column with a non-default collation sorts as `p.title COLLATE "C.utf8"`: the collation is the column's own.
  const m = /^(.*?)(?:\s+COLLATE\s+"[^"]+")?(\s+DESC)?(\s+NULLS (?:FIRST|LAST))?$/s.exec(text.trim());
  if (!m) return undefined;
  const side = rowSide(m[1]!);
  return side ? { side, descending: m[2] !== undefined } : undefined;
}
