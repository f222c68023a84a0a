/**
 * Parameters as the cache key sees them and as slow-query records describe them.
 * The key encoding is JSON (native, fast) with a fallback for what JSON cannot
 * hold; the shape names each parameter's type and never its value.
 *
 * @example
 * encodeParams([1, "a", null]); // '[1,"a",null]'
 * paramShape([1, "a", null, new Date()]); // ["int", "text", "null", "timestamp"]
 */

/** JSON cannot hold BigInt (it throws) nor NaN/Infinity (they become null, like a real null). */
function exactValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" && !Number.isFinite(value)) return `${value}f`;
  return value;
}

function needsReplacer(params: readonly unknown[]): boolean {
  for (const value of params) {
    if (typeof value === "bigint" || (typeof value === "number" && !Number.isFinite(value))) return true;
  }
  return false;
}

/**
 * A string that differs whenever Postgres could see different values. Two encodings
 * for one value (1 and "1") only cost a duplicate cache entry, never a wrong answer.
 */
export function encodeParams(params: readonly unknown[]): string {
  if (params.length === 0) return "";
  // The replacer slows every value down, so it is kept off the common path.
  if (needsReplacer(params)) return JSON.stringify(params, exactValue);
  try {
    return JSON.stringify(params);
  } catch {
    return JSON.stringify(params, exactValue); // a BigInt nested in an array or object
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
