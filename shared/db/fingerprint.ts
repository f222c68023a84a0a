/**
 * Statement fingerprints: the text with every literal and $n parameter replaced
 * by `?`, comments dropped, whitespace collapsed and unquoted words lower-cased,
 * then hashed. Two statements differing only in values share a fingerprint, so
 * per-fingerprint stats group "the same query". A tokenizer (not the parser) does
 * it, so unparseable statements get a fingerprint too.
 *
 * @example
 * fingerprintOf("SELECT * FROM users WHERE id = 42").statement; // "select * from users where id = ?"
 * fingerprintOf("select * from users where id = $1").fingerprint === fingerprintOf("select * FROM users WHERE id=7").fingerprint; // true
 */

export interface Fingerprint {
  /** 12 hex digits (48 bits) of a hash of `statement`. */
  fingerprint: string;
  /** The normalised text: no values, safe to log. */
  statement: string;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const SPACE = /\s/;
/** A dollar-quote tag: $$ or $name$. */
const DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
/** Punctuation that needs no space around it in the normalised text. */
const TIGHT = new Set([",", "(", ")", ".", "[", "]", ";", "::"]);

/** Index after a single-quoted string starting at `start` (the opening quote); '' is an escaped quote. */
function skipQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (backslashEscapes && ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** Splits SQL into normalised tokens. */
function tokens(sql: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] ?? "";
    const next = sql[i + 1] ?? "";
    if (SPACE.test(ch)) {
      i++;
    } else if (ch === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === "/" && next === "*") {
      i = skipBlockComment(sql, i);
    } else if (ch === "'") {
      i = skipQuoted(sql, i, "'", false);
      out.push("?");
    } else if ((ch === "E" || ch === "e") && next === "'") {
      i = skipQuoted(sql, i + 1, "'", true);
      out.push("?");
    } else if ((ch === "B" || ch === "b" || ch === "X" || ch === "x" || ch === "U" || ch === "u") && next === "'") {
      i = skipQuoted(sql, i + 1, "'", false);
      out.push("?");
    } else if (ch === '"') {
      const end = skipQuoted(sql, i, '"', false);
      out.push(sql.slice(i, end));
      i = end;
    } else if (ch === "$") {
      i = dollarToken(sql, i, out);
    } else if (DIGIT.test(ch) || (ch === "." && DIGIT.test(next))) {
      const match = NUMBER.exec(sql.slice(i, i + 64));
      i += match === null ? 1 : match[0].length;
      out.push("?");
    } else if (WORD_START.test(ch)) {
      let end = i + 1;
      while (end < sql.length && WORD_CHAR.test(sql[end] ?? "")) end++;
      out.push(sql.slice(i, end).toLowerCase());
      i = end;
    } else if (ch === ":" && next === ":") {
      out.push("::");
      i += 2;
    } else {
      out.push(ch);
      i++;
    }
  }
  return out;
}

function skipBlockComment(sql: string, start: number): number {
  // Postgres block comments nest.
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** $1 parameters and $tag$...$tag$ strings both become `?`. */
function dollarToken(sql: string, start: number, out: string[]): number {
  let end = start + 1;
  while (end < sql.length && DIGIT.test(sql[end] ?? "")) end++;
  if (end > start + 1) {
    out.push("?");
    return end;
  }
  const tag = DOLLAR_TAG.exec(sql.slice(start, start + 66));
  if (tag === null) {
    out.push("$");
    return start + 1;
  }
  const close = sql.indexOf(tag[0], start + tag[0].length);
  out.push("?");
  return close === -1 ? sql.length : close + tag[0].length;
}

/** Joins tokens with single spaces, none around tight punctuation; a run of `?` lists collapses (IN (?, ?, ?) -> IN (?)). */
function join(parts: readonly string[]): string {
  const collapsed: string[] = [];
  for (const part of parts) {
    const n = collapsed.length;
    if (part === "?" && collapsed[n - 1] === "," && collapsed[n - 2] === "?") {
      collapsed.pop();
      continue;
    }
    collapsed.push(part);
  }
  let text = "";
  let previous = "";
  for (const part of collapsed) {
    if (text !== "" && !TIGHT.has(part) && previous !== "(" && previous !== "." && previous !== "::" && previous !== "[") {
      text += " ";
    }
    text += part;
    previous = part;
  }
  return text;
}

/**
 * cyrb53: a fast, well-distributed 53-bit string hash (not cryptographic; the
 * fingerprint only groups statements, it protects nothing).
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** 12 hex digits: short enough for a log line and a cache key, 2^48 wide. */
export function shortHash(text: string): string {
  return hash53(text).toString(16).padStart(14, "0").slice(-12);
}

/** The normalised statement and its hash. */
export function fingerprintOf(sql: string): Fingerprint {
  const statement = join(tokens(sql));
  return { fingerprint: shortHash(statement), statement };
}
