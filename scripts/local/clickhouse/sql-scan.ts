/**
 * A lexical pass over request SQL: enough to learn what a server learns before
 * running it (statement kind, output format, more than one statement) without a
 * parser. It skips string literals, quoted identifiers, heredocs and comments
 * so that a `;` or `FORMAT` inside them is not mistaken for syntax.
 */

export interface SqlShape {
  /** First keyword, upper-cased ("SELECT", "INSERT", ...); "" for empty text, "(" for `(SELECT ...)`. */
  firstKeyword: string;
  /** Format named by a trailing top-level `FORMAT x` clause of a statement that returns rows. */
  outputFormat: string | undefined;
  /** A second statement follows a top-level `;` (the HTTP interface refuses that). */
  multiStatement: boolean;
}

type Token = { kind: "word"; text: string } | { kind: "punct"; text: string };

/** Read-only statements, as ClickHouse allows them under `readonly` (and for HTTP GET). */
export const READ_ONLY_KEYWORDS: ReadonlySet<string> = new Set([
  "SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "USE", "SET", "(",
]);

/**
 * Classify `sql`. An INSERT stops at `FORMAT x` or `VALUES`: what follows is
 * data, not SQL, and is never scanned.
 */
export function scanSql(sql: string): SqlShape {
  let firstKeyword = "";
  let outputFormat: string | undefined;
  let depth = 0;
  let afterSemicolon = false;
  let previous: Token | undefined;
  let formatState: "none" | "named" | "settings" = "none";

  for (const token of tokens(sql)) {
    if (afterSemicolon && token.text !== ";") return { firstKeyword, outputFormat, multiStatement: true };
    if (firstKeyword === "") firstKeyword = token.text.toUpperCase();
    const word = token.kind === "word" ? token.text.toUpperCase() : undefined;

    if (firstKeyword === "INSERT" && depth === 0 && (word === "FORMAT" || word === "VALUES")) {
      return { firstKeyword, outputFormat: undefined, multiStatement: false };
    }
    if (token.text === "(") depth += 1;
    else if (token.text === ")") depth = Math.max(0, depth - 1);
    else if (token.text === ";" && depth === 0) afterSemicolon = true;

    if (depth === 0 && token.kind === "word" && previous?.kind === "word" && previous.text.toUpperCase() === "FORMAT") {
      outputFormat = token.text;
      formatState = "named";
    } else if (formatState === "named" && word === "SETTINGS") {
      formatState = "settings";
    } else if (formatState === "named" && token.text !== ";" && word !== "FORMAT") {
      outputFormat = undefined;
      formatState = "none";
    }
    previous = token;
  }
  return { firstKeyword, outputFormat: firstKeyword === "INSERT" ? undefined : outputFormat, multiStatement: false };
}

function* tokens(sql: string): Generator<Token> {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] ?? "";
    const next = sql[i + 1] ?? "";
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "-" && next === "-") {
      i = lineEnd(sql, i);
    } else if (c === "#" && (next === "!" || next === " ")) {
      i = lineEnd(sql, i);
    } else if (c === "/" && next === "*") {
      i = blockCommentEnd(sql, i);
    } else if (c === "'" || c === '"' || c === "`") {
      i = quotedEnd(sql, i, c);
      yield { kind: "punct", text: c };
    } else if (c === "$" && heredocTag(sql, i) !== undefined) {
      const tag = heredocTag(sql, i) ?? "";
      const close = sql.indexOf(tag, i + tag.length);
      i = close < 0 ? sql.length : close + tag.length;
      yield { kind: "punct", text: "$" };
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i] ?? "")) i += 1;
      yield { kind: "word", text: sql.slice(start, i) };
    } else {
      i += 1;
      yield { kind: "punct", text: c };
    }
  }
}

function lineEnd(sql: string, from: number): number {
  const end = sql.indexOf("\n", from);
  return end < 0 ? sql.length : end + 1;
}

/** ClickHouse block comments nest. */
function blockCommentEnd(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql.startsWith("/*", i)) {
      depth += 1;
      i += 2;
    } else if (sql.startsWith("*/", i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** Quotes close on an unescaped quote; `\x` escapes and a doubled quote stays inside. */
function quotedEnd(sql: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "\\") {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return sql.length;
}

/** `$$` or `$tag$` opening a heredoc string. */
function heredocTag(sql: string, from: number): string | undefined {
  const match = /^\$[A-Za-z0-9_]*\$/.exec(sql.slice(from, from + 64));
  return match?.[0];
}
