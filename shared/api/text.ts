/**
 * Text that Postgres stores and returns byte for byte. Postgres rejects NUL in
 * text and jsonb (SQLSTATE 22021 / 22P05), and a lone UTF-16 surrogate cannot
 * be encoded as UTF-8 (it would come back as U+FFFD), so both are refused at the
 * edge with a 400 naming the field instead of failing (or mangling) in the database.
 */

/** With the `u` flag a valid surrogate pair is one code point, so \p{Cs} matches only lone halves. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `text` cannot be stored intact, or undefined when it can. */
export function unstorableTextReason(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain NUL (U+0000)";
  if (LONE_SURROGATE.test(text)) return "must be well-formed Unicode (no lone surrogates)";
  return undefined;
}

/**
 * Deepest nesting a stored JSON value may have. JSON.parse takes any depth, but
 * this walk, JSON.stringify and Postgres's jsonb input all recurse: a few thousand
 * levels overflow the stack (a 500), so the edge refuses them first.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The first string (key or value) inside a JSON value that cannot be stored, with its
 * path; also a container nested deeper than MAX_JSON_DEPTH.
 *
 * @example
 * unstorableJsonPath({ a: ["ok", "\u0000"] }); // { path: ["a", 1], reason: "must not contain NUL (U+0000)" }
 */
export function unstorableJsonPath(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; reason: string } | undefined {
  if (typeof value === "object" && value !== null && path.length >= MAX_JSON_DEPTH) {
    return { path, reason: `must nest at most ${MAX_JSON_DEPTH} levels` };
  }
  if (typeof value === "string") {
    const reason = unstorableTextReason(value);
    return reason === undefined ? undefined : { path, reason };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableJsonPath(value[i], [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const keyReason = unstorableTextReason(key);
      if (keyReason !== undefined) return { path: [...path, key], reason: `key ${keyReason}` };
      const found = unstorableJsonPath(child, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}
