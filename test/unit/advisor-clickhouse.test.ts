import { describe, expect, it } from "vitest";
import { analyseClickHouse, queryShape, type ClickHouseState } from "../../shared/analytics/advisor/index.ts";

const state = (queryLog: ClickHouseState["queryLog"], parts: ClickHouseState["parts"] = []): ClickHouseState => ({
  database: "netra",
  tables: [
    { name: "request_events", engine: "MergeTree", sortingKey: ["route", "method", "ts"], columns: ["ts", "route", "method", "status", "duration_ms", "colo", "cache_tier"] },
    { name: "rollup_mv", engine: "MaterializedView", sortingKey: [], columns: ["route"] },
  ],
  parts,
  queryLog,
  notes: [],
});

describe("ClickHouse query shapes", () => {
  it("finds filtered identifiers, GROUP BY expressions and aggregates", () => {
    const shape = queryShape(
      "SELECT toStartOfHour(ts) AS h, count(), quantile(0.95)(duration_ms) FROM netra.request_events PREWHERE colo = 'AMS' WHERE status >= 500 GROUP BY h, route ORDER BY h LIMIT 10",
    );
    expect(shape.tables).toEqual(["netra.request_events"]);
    expect(shape.filtered).toEqual(["colo", "status"]);
    expect(shape.groupBy).toEqual(["h", "route"]);
    expect(shape.aggregates).toEqual(["count", "quantile"]);
  });
});

describe("ClickHouse advice", () => {
  it("flags frequent filters that miss the sorting key prefix and suggests a projection", () => {
    const advice = analyseClickHouse(state([{ query: "SELECT count() FROM request_events WHERE status = ? AND ts > ?", calls: 40, totalMs: 900 }]), {
      maxPartsPerPartition: 300,
      minCalls: 10,
    });
    const finding = advice.findings.find((f) => f.kind === "sorting_key_mismatch");
    expect(finding?.table).toBe("request_events");
    expect(finding?.suggestion).toContain("ADD PROJECTION p_by_status_ts (SELECT * ORDER BY (status, ts, route, method))");
  });

  it("stays quiet when the filter uses the leading key column or the query is rare", () => {
    const advice = analyseClickHouse(
      state([
        { query: "SELECT count() FROM request_events WHERE route = ? AND status = ?", calls: 100, totalMs: 10 },
        { query: "SELECT count() FROM request_events WHERE colo = ?", calls: 2, totalMs: 10 },
      ]),
      { maxPartsPerPartition: 300, minCalls: 10 },
    );
    expect(advice.findings.filter((f) => f.kind === "sorting_key_mismatch")).toEqual([]);
  });

  it("suggests a materialized view for a frequent aggregation, not for reads of a view", () => {
    const advice = analyseClickHouse(
      state([
        { query: "SELECT route, count(), avg(duration_ms) FROM request_events WHERE route = ? GROUP BY route", calls: 60, totalMs: 3000 },
        { query: "SELECT route, count() FROM rollup_mv GROUP BY route", calls: 60, totalMs: 30 },
      ]),
      { maxPartsPerPartition: 300, minCalls: 10 },
    );
    const views = advice.findings.filter((f) => f.kind === "materialized_view");
    expect(views).toHaveLength(1);
    expect(views[0]?.suggestion).toContain("AggregatingMergeTree ORDER BY (route)");
    expect(views[0]?.suggestion).toContain("countState(...), avgState(...)");
  });

  it("flags partitions with too many active parts, even without a query log", () => {
    const advice = analyseClickHouse(state(null, [{ table: "request_events", partition: "20261129", parts: 12, rows: 1200 }, { table: "request_events", partition: "20261128", parts: 2, rows: 10 }]), {
      maxPartsPerPartition: 10,
      minCalls: 10,
    });
    expect(advice.findings.map((f) => `${f.kind}:${f.evidence.partition}`)).toEqual(["too_many_parts:20261129"]);
  });
});
