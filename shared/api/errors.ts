/**
 * Shorthands for the problems the stores raise. ProblemError (./problem.ts) is the
 * API's one typed error: stores, routes, middleware and rooms throw it, and one
 * renderer writes every problem.
 */
import { ProblemError } from "./problem.ts";

export type { FieldIssue } from "./problem.ts";

export const notFound = (what: string) => new ProblemError({ status: 404, code: "not_found", detail: `${what} does not exist` });

export const conflict = (code: string, detail: string) => new ProblemError({ status: 409, code, detail });
