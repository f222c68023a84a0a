/** Maps the database's refusals that a client caused to API errors; everything else propagates. */
import { QueryError } from "../../db/query-types.ts";
import { conflict } from "../errors.ts";
import { ProblemError } from "../problem.ts";

const UNIQUE_VIOLATION = "23505";
const FOREIGN_KEY_VIOLATION = "23503";

export interface ViolationAnswers {
  unique?: () => ProblemError;
  foreignKey?: () => ProblemError;
}

/** Runs `fn`, translating unique and foreign-key violations with the caller's answers. */
export async function translateViolations<T>(fn: () => Promise<T>, answers: ViolationAnswers): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const state = sqlState(error);
    if (state === UNIQUE_VIOLATION && answers.unique) throw answers.unique();
    if (state === FOREIGN_KEY_VIOLATION && answers.foreignKey) throw answers.foreignKey();
    if (state === UNIQUE_VIOLATION) throw conflict("conflict", "the request conflicts with existing data");
    throw error;
  }
}

/** SQLSTATE from an optimizer QueryError or a raw driver error (inside a transaction). */
function sqlState(error: unknown): string | undefined {
  if (error instanceof QueryError) return error.sqlState;
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export const unknownUser = () => new ProblemError({ status: 422, code: "unknown_user", detail: "userId names no existing user" });
