/** JSON-array settings (rules, channels) validated with zod/mini, with issues a person can act on. */
import * as z from "zod/mini";

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: string[] };

/** "rule 2 ("api-p95").threshold": the position, the entry's id or name when it has one, then the field. */
function describePath(path: readonly PropertyKey[], input: unknown, item: string): string {
  const [index, ...rest] = path;
  if (typeof index !== "number") return path.map(String).join(".") || "(root)";
  const entry = Array.isArray(input) ? (input[index] as { id?: unknown; name?: unknown } | undefined) : undefined;
  const label = typeof entry?.id === "string" ? entry.id : typeof entry?.name === "string" ? entry.name : undefined;
  return `${item} ${index}${label !== undefined ? ` ("${label}")` : ""}${rest.length > 0 ? `.${rest.map(String).join(".")}` : ""}`;
}

/**
 * Parses JSON text against a schema. Issues name the entry and field but never
 * echo values (a channel entry may hold a secret).
 */
export function parseJsonList<T>(text: string, schema: z.ZodMiniType<T>, item: string): ParseResult<T> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return { ok: false, issues: [`is not valid JSON (expected an array of ${item}s)`] };
  }
  const parsed = z.safeParse(schema, input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((issue) => `${describePath(issue.path, input, item)}: ${issue.message}`) };
}
