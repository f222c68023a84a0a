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
 * The first string (key or value) inside a JSON value that cannot be stored, with its path.
 *
 * @example
 * unstorableJsonPath({ a: ["ok", "\u0000"] }); // { path: ["a", 1], reason: "must not contain NUL (U+0000)" }
 */
export function unstorableJsonPath(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; reason: string } | undefined {
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
