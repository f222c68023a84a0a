/**
 * Driver errors -> the optimizer's typed errors. Found by the fault suite: during a
 * Postgres restart the server answers SQLSTATE 57P03 ("the database system is shutting
 * down"), which must be a retryable 503 (db_unavailable), not a 500 (db_error).
 */
import { NeonDbError } from "@neondatabase/serverless";
import { describe, expect, it } from "vitest";
import { toQueryError } from "../../shared/db/executor.ts";

function pgError(code: string): NeonDbError {
  const error = new NeonDbError("server said no");
  error.code = code;
  return error;
}

describe("toQueryError", () => {
  it.each(["57P01", "57P02", "57P03", "08006", "08001", "53300"])("maps server state %s to db_unavailable", (code) => {
    expect(toQueryError(pgError(code))).toMatchObject({ code: "db_unavailable", sqlState: code });
  });

  it("keeps statement errors as db_error and cancellation as statement_timeout", () => {
    expect(toQueryError(pgError("23505"))).toMatchObject({ code: "db_error", sqlState: "23505" });
    expect(toQueryError(pgError("22P02"))).toMatchObject({ code: "db_error", sqlState: "22P02" });
    expect(toQueryError(pgError("57014")).code).toBe("statement_timeout");
  });

  it("treats an error without SQLSTATE (network) as db_unavailable", () => {
    expect(toQueryError(new TypeError("fetch failed")).code).toBe("db_unavailable");
  });
});
