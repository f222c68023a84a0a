/**
 * Parameters as the cache key sees them and as slow-query records describe them.
 * The key encoding is JSON (native, fast) with a fallback for what JSON cannot
 * hold; the shape names each parameter's type and never its value.
 *
 * @example
 * encodeParams([1, "a", null]); // '[1,"a",null]'
 * paramShape([1, "a", null, new Date()]); // ["int", "text", "null", "timestamp"]
 */

/**
 * JSON cannot hold BigInt (it throws) nor NaN/Infinity (they become null, like a real null).
 * When a list has either, every value is tagged by kind (a string "5n" and the BigInt 5n reach
 * Postgres as different values, so they must not share a key) and the key starts with "~",
 * which a plain JSON array never does.
 */
const TAGGED = "~";

function taggedValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `b:${value}`;
  if (typeof value === "number" && !Number.isFinite(value)) return `f:${value}`;
  if (typeof value === "string") return `s:${value}`;
  return value;
}

/** Arrays are searched too: they reach Postgres as array literals, where NaN stays NaN (JSON would write null). */
function needsTags(params: readonly unknown[]): boolean {
  for (const value of params) {
    if (typeof value === "bigint" || (typeof value === "number" && !Number.isFinite(value))) return true;
    if (Array.isArray(value) && needsTags(value)) return true;
  }
  return false;
}

const tagged = (params: readonly unknown[]) => TAGGED + JSON.stringify(params, taggedValue);

/**
 * A string that differs whenever Postgres could see different values. Two encodings
 * for one value (1 and "1") only cost a duplicate cache entry, never a wrong answer.
 */
export function encodeParams(params: readonly unknown[]): string {
  if (params.length === 0) return "";
  // The replacer slows every value down, so it is kept off the common path.
  if (needsTags(params)) return tagged(params);
  try {
    return JSON.stringify(params);
  } catch {
    return tagged(params); // a BigInt nested in an array or object
  }
}

function shapeOf(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "bigint":
      return "bigint";
    case "boolean":
      return "bool";
    case "string":
      return "text";
    default:
      break;
  }
  if (value instanceof Date) return "timestamp";
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return "bytea";
  if (Array.isArray(value)) {
    const inner = new Set(value.map(shapeOf));
    inner.delete("null");
    return `${inner.size === 1 ? [...inner][0] : inner.size === 0 ? "unknown" : "mixed"}[]`;
  }
  return "json";
}

/** The type of each parameter; values never leave this function. */
export function paramShape(params: readonly unknown[]): string[] {
  return params.map(shapeOf);
}
