import { describe, expect, it } from "vitest";
import { dataInsert } from "../../scripts/local/clickhouse/query-handler.ts";

const insert = (statement: string) => dataInsert({ statementAndData: { statement, data: '{"a":1}\n' } }).dataInsert;

describe("the local ClickHouse endpoint's raw insert path", () => {
  it("takes the official client's insert forms", () => {
    expect(insert("INSERT INTO netra.request_events FORMAT JSONEachRow")).toEqual({ table: "netra.request_events", columns: undefined, format: "JSONEachRow", data: '{"a":1}\n' });
    expect(insert("insert into t (a, b_2) format JSONCompactEachRow")).toMatchObject({ table: "t", columns: ["a", "b_2"], format: "JSONCompactEachRow" });
  });

  it("leaves every other statement to the general path", () => {
    for (const statement of [
      "INSERT INTO t SELECT 1",
      "INSERT INTO t SETTINGS async_insert = 1 FORMAT JSONEachRow",
      "INSERT INTO t FORMAT Native",
      "INSERT INTO `t` FORMAT JSONEachRow",
      "INSERT INTO t VALUES (1)",
      "INSERT INTO t FORMAT JSONEachRow; DROP TABLE t",
      "SELECT 1 FORMAT JSONEachRow",
    ]) expect(insert(statement), statement).toBeUndefined();
    expect(dataInsert({}).dataInsert).toBeUndefined();
  });
});
