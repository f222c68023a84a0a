/**
 * The OpenAPIHono default hook: a failed zod validation becomes a 400
 * problem+json with code `validation_failed` and one entry per issue naming its
 * location and field (`{in: "body", path: "email", message}`).
 */
import type { Context } from "hono";
import type { z } from "zod";
import type { FieldIssue } from "../../shared/api/errors.ts";
import { FIELD_LOCATION, ProblemError } from "../../shared/api/problem.ts";
import type { AppEnv } from "../env.ts";


type Target = "json" | "query" | "param" | "header" | "cookie" | "form";


function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** Whether the input has a value at `path` (zod's issues do not carry the input). */
function present(input: unknown, path: readonly PropertyKey[]): boolean {
  let node = input;
  for (const key of path) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node !== undefined;
}

/** Flattens zod issues; an unknown key is reported at the key itself, a missing one as "is required". */
export function fieldIssues(where: FieldIssue["in"], issues: readonly z.core.$ZodIssue[], input: unknown): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ in: where, path: dotted([...issue.path, key]), message: "is not a known field" });
    } else if (issue.path.length > 0 && !present(input, issue.path)) {
      out.push({ in: where, path: dotted(issue.path), message: "is required" });
    } else {
      out.push({ in: where, path: dotted(issue.path), message: issue.message });
    }
  }
  return out;
}

/** Throws the 400 `validation_failed` problem naming every rejected field. */
export function validationFailed(errors: FieldIssue[]): never {
  const first = errors[0];
  const detail = first ? `${first.in} ${first.path || "(root)"} ${first.message}` : "The request is invalid";
  throw new ProblemError({ status: 400, code: "validation_failed", title: "Validation failed", detail, errors });
}

export function validationHook(
  result: { target: Target } & ({ success: true } | { success: false; error: z.ZodError }),
  c: Context<AppEnv>,
): Response | undefined {
  if (result.success) return undefined;
  // @hono/zod-validator also passes the raw input as `data`; its type leaves it out on failure.
  const input = (result as { data?: unknown }).data;
  return validationFailed(fieldIssues(FIELD_LOCATION[result.target]!, result.error.issues, input));
}
