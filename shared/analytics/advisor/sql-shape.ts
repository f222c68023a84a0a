/**
 * Just enough of a ClickHouse SELECT's shape for the advisor: which identifiers appear
 * in WHERE / PREWHERE, the GROUP BY expressions and the aggregate calls. Lexical on
 * purpose: neither installed parser speaks ClickHouse's dialect, and query_log text is
 * already normalised (literals replaced by ?), so strings and comments are all there is
 * to strip before slicing clauses.
 */

export interface QueryShape {
  tables: string[];
  filtered: string[];
  groupBy: string[];
  aggregates: string[];
}

const CLAUSE_END = /\b(group\s+by|order\s+by|limit|having|settings|format|union|window|qualify)\b/i;
const PREWHERE_END = new RegExp(`\\bwhere\\b|${CLAUSE_END.source}`, "i");
const AGGREGATE = /\b(count|sum|avg|min|max|any|uniq\w*|quantiles?\w*|median\w*|topK\w*|groupArray\w*|argMin|argMax|stddev\w*)\s*\(/gi;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;

function strip(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/'(?:[^'\\]|\\.|'')*'/g, "?")
    .replace(/\s+/g, " ");
}

function clause(sql: string, start: RegExp, endPattern: RegExp = CLAUSE_END): string | undefined {
  const match = start.exec(sql);
  if (match === null) return undefined;
  const rest = sql.slice(match.index + match[0].length);
  const end = endPattern.exec(rest);
  return end === null ? rest : rest.slice(0, end.index);
}

/** Splits on commas outside parentheses (select lists, sorting keys). */
export function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      out.push(current.trim());
      current = "";
    } else current += char;
  }
  if (current.trim() !== "") out.push(current.trim());
  return out;
}

export function queryShape(sql: string): QueryShape {
  const text = strip(sql);
  const tables = [...text.matchAll(/\b(?:from|join)\s+((?:`?[A-Za-z_][\w]*`?\.)?`?[A-Za-z_][\w]*`?)/gi)].map((m) =>
    m[1]!.replaceAll("`", ""),
  );
  const where = [clause(text, /\bprewhere\b/i, PREWHERE_END), clause(text, /\bwhere\b/i)].filter((c): c is string => c !== undefined).join(" ");
  const filtered = [...new Set(where.match(IDENT) ?? [])];
  const group = clause(text, /\bgroup\s+by\b/i);
  const groupBy = group === undefined ? [] : splitTopLevel(group);
  const aggregates = [...new Set([...text.matchAll(AGGREGATE)].map((m) => m[1]!.toLowerCase()))];
  return { tables, filtered, groupBy, aggregates };
}
