/**
 * The local ClickHouse endpoint (scripts/local/clickhouse) driven by the
 * unmodified @clickhouse/client-web over HTTP, against the real engine (chdb)
 * in a fresh data directory.
 */
import { ClickHouseError, createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startClickHouseEndpoint, type ClickHouseEndpoint } from "../../scripts/local/clickhouse/server.ts";

const PASSWORD = "local-secret";
const DB = "netra_it";
const dataDir = mkdtempSync(join(tmpdir(), "netra-clickhouse-it-"));
let endpoint: ClickHouseEndpoint;
let admin: ClickHouseClient;
let db: ClickHouseClient;

function clientFor(options: { database?: string; password?: string; [key: string]: unknown } = {}): ClickHouseClient {
  return createClient({ url: endpoint.url, username: "default", password: PASSWORD, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<ClickHouseError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ClickHouseError);
  return error as ClickHouseError;
}

async function rows<T>(client: ClickHouseClient, query: string, extra: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, format: "JSONEachRow", ...extra })).json<T>();
}

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  const auth = `Basic ${btoa(`default:${PASSWORD}`)}`;
  return fetch(`${endpoint.url}${path}`, { method: "POST", body, headers: { Authorization: auth, ...headers } });
}

/** Strings that break naive escaping anywhere between the client and the engine. */
const AWKWARD = ["it's", 'say "hi"', "back\\slash", "tab\there", "new\nline", "crlf\r\n", "ünïcødé ✓ 日本 🚀", "\\N", "", "'; DROP TABLE x; --"];

beforeAll(async () => {
  endpoint = await startClickHouseEndpoint({ port: 0, dataDir, password: PASSWORD });
  admin = clientFor();
  await admin.command({ query: `CREATE DATABASE ${DB}` });
  db = clientFor({ database: DB });
});

afterAll(async () => {
  await Promise.allSettled([admin?.close(), db?.close()]);
  await endpoint?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("transport", () => {
  it("answers the client's ping and GET /ping", async () => {
    expect(await admin.ping()).toEqual({ success: true });
    const res = await fetch(`${endpoint.url}/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Ok.\n");
  });

  it("reports query id, format, timezone and summary headers", async () => {
    const rs = await admin.query({ query: "SELECT number FROM system.numbers LIMIT 3", format: "JSONEachRow", query_id: "it-headers-1" });
    expect(rs.query_id).toBe("it-headers-1");
    expect(rs.response_headers["x-clickhouse-query-id"]).toBe("it-headers-1");
    expect(rs.response_headers["x-clickhouse-format"]).toBe("JSONEachRow");
    expect(rs.response_headers["content-type"]).toContain("application/json");
    expect(rs.response_headers["x-clickhouse-timezone"]).toBeTruthy();
    expect(JSON.parse(String(rs.response_headers["x-clickhouse-summary"]))).toMatchObject({ result_rows: "3" });
    expect(await rs.json()).toEqual([{ number: 0 }, { number: 1 }, { number: 2 }]);
  });

  it("passes CSV and TabSeparated output through unchanged", async () => {
    const csv = await (await admin.query({ query: "SELECT 1 AS a, 'x,y' AS b", format: "CSV" })).text();
    expect(csv).toBe('1,"x,y"\n');
    const tsv = await (await admin.query({ query: "SELECT 'a\tb' AS s", format: "TabSeparated" })).text();
    expect(tsv).toBe("a\\tb\n");
    const progress = await (await admin.query({ query: "SELECT 1 AS one", format: "JSONEachRowWithProgress" })).text();
    expect(progress).toContain('{"row":{"one":1}}');
  });

  it("runs exec() with the caller's own FORMAT clause", async () => {
    const result = await admin.exec({ query: "SELECT 42 AS answer FORMAT JSONEachRow" });
    expect(await new Response(result.stream).text()).toBe('{"answer":42}\n');
  });

  it("compresses the response with gzip when the client asks for it", async () => {
    const gzipClient = clientFor({ compression: { response: true } });
    try {
      const rs = await gzipClient.query({ query: "SELECT repeat('abc', 1000) AS s", format: "JSONEachRow" });
      expect(rs.response_headers["content-encoding"]).toBe("gzip");
      expect(await rs.json()).toEqual([{ s: "abc".repeat(1000) }]);
    } finally {
      await gzipClient.close();
    }
  });

  it("accepts X-ClickHouse-User/Key headers and rejects a wrong password with 516", async () => {
    const ok = await post("/?query=SELECT%201", "", { Authorization: "", "X-ClickHouse-User": "default", "X-ClickHouse-Key": PASSWORD });
    expect(await ok.text()).toBe("1\n");
    const wrong = clientFor({ password: "nope" });
    try {
      const error = await rejection(wrong.query({ query: "SELECT 1" }));
      expect(error.code).toBe("516");
      expect(error.type).toBe("AUTHENTICATION_FAILED");
      expect((await wrong.ping()).success).toBe(false);
    } finally {
      await wrong.close();
    }
  });

  it("treats GET as read-only and refuses several statements, as the server does", async () => {
    const get = await fetch(`${endpoint.url}/?query=${encodeURIComponent("CREATE TABLE t_get (a UInt8) ENGINE = Memory")}`, {
      headers: { Authorization: `Basic ${btoa(`default:${PASSWORD}`)}` },
    });
    expect(get.status).toBe(500);
    expect(get.headers.get("x-clickhouse-exception-code")).toBe("164");
    const multi = await rejection(admin.command({ query: "SELECT 1; SELECT 2" }));
    expect(multi.code).toBe("62");
    expect(await rows(admin, "SELECT 'a;b' AS s /* ; */ -- ;\n;")).toEqual([{ s: "a;b" }]);
  });

  it("answers malformed requests with a ClickHouse error and keeps serving", async () => {
    const noBoundary = await post("/", "x", { "Content-Type": "multipart/form-data" });
    expect(noBoundary.status).toBe(400);
    expect(await noBoundary.text()).toMatch(/^Code: 36\. DB::Exception: .*\(BAD_ARGUMENTS\)/);
    const badGzip = await post("/", "not gzip", { "Content-Encoding": "gzip" });
    expect(badGzip.headers.get("x-clickhouse-exception-code")).toBe("36");
    const empty = await post("/", "");
    expect(empty.headers.get("x-clickhouse-exception-code")).toBe("62");
    const unknownSetting = await rejection(admin.query({ query: "SELECT 1", clickhouse_settings: { no_such_setting: 1 } }));
    expect(unknownSetting.type).toBe("UNKNOWN_SETTING");
    expect(await rows(admin, "SELECT 1 AS alive")).toEqual([{ alive: 1 }]);
  });
});

describe("tables, inserts and reads", () => {
  type Event = { id: number; kind: string; at: string; note: string };
  const events: Event[] = Array.from({ length: 10_000 }, (_, i) => ({
    id: i,
    kind: ["view", "click", "buy"][i % 3] ?? "view",
    at: `2026-01-01 00:00:${String(i % 60).padStart(2, "0")}.${String(i % 1000).padStart(3, "0")}`,
    note: `${AWKWARD[i % AWKWARD.length]}#${i}`,
  }));

  it("creates a MergeTree table with LowCardinality, DateTime64 and TTL", async () => {
    await db.command({
      query: `CREATE TABLE events (id UInt32, kind LowCardinality(String), at DateTime64(3, 'UTC'), note String)
              ENGINE = MergeTree ORDER BY (kind, id) TTL toDateTime(at) + INTERVAL 3650 DAY`,
    });
    const [table] = await rows<{ engine: string; create_table_query: string }>(
      admin,
      `SELECT engine, create_table_query FROM system.tables WHERE database = '${DB}' AND name = 'events'`,
    );
    expect(table?.engine).toBe("MergeTree");
    expect(table?.create_table_query).toContain("LowCardinality(String)");
    expect(table?.create_table_query).toContain("TTL");
  });

  it("inserts 10,000 JSONEachRow rows and reports them as written", async () => {
    const result = await db.insert({ table: "events", values: events, format: "JSONEachRow" });
    expect(result.executed).toBe(true);
    expect(JSON.parse(String(result.response_headers["x-clickhouse-summary"]))).toMatchObject({ written_rows: "10000" });
  });

  it("reads every row back exactly as JSONEachRow, JSON and JSONCompactEachRow", async () => {
    const query = "SELECT id, kind, toString(at) AS at, note FROM events ORDER BY id";
    expect(await rows<Event>(db, query)).toEqual(events);
    const json = await (await db.query({ query, format: "JSON" })).json<Event>();
    expect(json.rows).toBe(10_000);
    expect(json.data).toEqual(events);
    const compact = await (await db.query({ query, format: "JSONCompactEachRow" })).json<[number, string, string, string]>();
    expect(compact.map(([id, kind, at, note]) => ({ id, kind, at, note }))).toEqual(events);
  });

  it("inserts named columns and stores a batch sent twice under one deduplication token once, as a server does", async () => {
    await db.command({ query: "CREATE TABLE notes (id UInt32, body String, at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100" });
    const values = [{ id: 1, body: "ü😀" }, { id: 2, body: "two" }];
    const insert = () => db.insert({ table: "notes", columns: ["id", "body"], values, format: "JSONEachRow", clickhouse_settings: { insert_deduplication_token: "batch-1" } });
    const first = await insert();
    await insert();
    expect(JSON.parse(String(first.response_headers["x-clickhouse-summary"]))).toMatchObject({ written_rows: "2" });
    expect(await rows(db, "SELECT id, body FROM notes ORDER BY id")).toEqual([{ id: 1, body: "ü😀" }, { id: 2, body: "two" }]);
  });

  it("inserts with the client's default JSONCompactEachRow format", async () => {
    await db.command({ query: "CREATE TABLE pairs (k String, v Int64) ENGINE = MergeTree ORDER BY k" });
    await db.insert({ table: "pairs", values: [["a", -1], ["b", 2]] });
    expect(await rows(db, "SELECT k, v FROM pairs ORDER BY k")).toEqual([{ k: "a", v: -1 }, { k: "b", v: 2 }]);
  });
});

describe("query parameters and settings", () => {
  it("binds String parameters byte for byte, quotes, backslashes, tabs and newlines included", async () => {
    for (const value of AWKWARD) {
      expect(await rows(admin, "SELECT {x:String} AS x", { query_params: { x: value } })).toEqual([{ x: value }]);
    }
  });

  it("binds arrays, NULL, DateTime and DateTime64 parameters", async () => {
    const [row] = await rows<Record<string, unknown>>(
      admin,
      `SELECT {ids:Array(UInt32)} AS ids, {names:Array(String)} AS names, {maybe:Nullable(String)} AS maybe,
              {some:Nullable(String)} AS some, toString({at:DateTime('UTC')}) AS at, toString({at3:DateTime64(3, 'UTC')}) AS at3`,
      {
        query_params: {
          ids: [1, 2, 3],
          names: ["it's", "b\\c", "t\tab"],
          maybe: null,
          some: "\\N is text",
          at: new Date("2026-03-04T05:06:07Z"),
          at3: new Date("2026-03-04T05:06:07.089Z"),
        },
      },
    );
    expect(row).toEqual({
      ids: [1, 2, 3],
      names: ["it's", "b\\c", "t\tab"],
      maybe: null,
      some: "\\N is text",
      at: "2026-03-04 05:06:07",
      at3: "2026-03-04 05:06:07.089",
    });
  });

  it("takes a 100 KB parameter in the URL and in a multipart body", async () => {
    const big = `${"x".repeat(100_000)}'\\`;
    const inUrl = clientFor({ use_multipart_params_auto: false });
    const inBody = clientFor({ use_multipart_params: true });
    try {
      for (const client of [inUrl, inBody]) {
        expect(await rows(client, "SELECT length({s:String}) AS n, right({s:String}, 2) AS tail", { query_params: { s: big } })).toEqual([
          { n: 100_002, tail: "'\\" },
        ]);
      }
    } finally {
      await Promise.all([inUrl.close(), inBody.close()]);
    }
  });

  it("passes tens of kilobytes of non-ASCII parameters through the URL and a multipart body intact", async () => {
    const text = `${"ü😀".repeat(5_000)}'\\é`;
    const list = ["日本語", "😀ü".repeat(3_000), "a\tb"];
    const inUrl = clientFor({ use_multipart_params_auto: false });
    const inBody = clientFor({ use_multipart_params: true });
    try {
      for (const client of [inUrl, inBody]) {
        const [row] = await rows<{ s: string; a: string[]; n: string }>(client, "SELECT {s:String} AS s, {a:Array(String)} AS a, lengthUTF8({s:String}) AS n", {
          query_params: { s: text, a: list },
        });
        expect(row).toEqual({ s: text, a: list, n: 10_003 });
      }
    } finally {
      await Promise.all([inUrl.close(), inBody.close()]);
    }
  });

  it("does not leak parameters, settings, database or SET into the next request", async () => {
    await rows(admin, "SELECT {leak:String} AS v", { query_params: { leak: "1" } });
    expect((await rejection(rows(admin, "SELECT {leak:String} AS v"))).type).toBe("UNKNOWN_QUERY_PARAMETER");
    await rejection(rows(admin, "SELECT 1", { clickhouse_settings: { max_threads: 1, no_such_setting: 1 } }));
    await admin.command({ query: "SET max_threads = 1" });
    await admin.command({ query: `USE ${DB}` });
    const [state] = await rows<{ db: string; threads: string }>(admin, "SELECT currentDatabase() AS db, getSetting('max_threads') AS threads");
    expect(state?.db).toBe("default");
    expect(state?.threads).not.toBe("1");
    expect(await rows(db, "SELECT currentDatabase() AS db")).toEqual([{ db: DB }]);
  });

  it("gives each request exactly its own settings and database, whatever the request before it sent", async () => {
    const probe = "SELECT currentDatabase() AS db, toString(getSetting('max_threads')) AS threads, toString(getSetting('max_block_size')) AS block";
    type Probe = { db: string; threads: string; block: string };
    const [baseline] = await rows<Probe>(admin, probe);
    const steps: [ClickHouseClient, Record<string, number>, Partial<Probe>][] = [
      [admin, { max_threads: 1 }, { db: "default", threads: "1", block: baseline!.block }],
      [admin, { max_threads: 1 }, { db: "default", threads: "1", block: baseline!.block }],
      [db, { max_threads: 1, max_block_size: 1000 }, { db: DB, threads: "1", block: "1000" }],
      [admin, { max_block_size: 1000 }, { db: "default", threads: baseline!.threads, block: "1000" }],
      [db, {}, { db: DB, threads: baseline!.threads, block: baseline!.block }],
      [admin, { max_threads: 2 }, { db: "default", threads: "2", block: baseline!.block }],
      [admin, {}, baseline!],
    ];
    for (const [client, clickhouse_settings, expected] of steps) {
      expect(await rows<Probe>(client, probe, { clickhouse_settings })).toEqual([expected]);
    }
  });

  it("applies clickhouse_settings to one query: 64-bit integers quoted only when asked", async () => {
    const query = "SELECT toUInt64('18446744073709551615') AS big";
    expect(await rows(admin, query, { clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } })).toEqual([
      { big: "18446744073709551615" },
    ]);
    const [unquoted] = await rows<{ big: unknown }>(admin, query);
    expect(typeof unquoted?.big).toBe("number");
  });

  it("serialises 20 parallel queries, each with its own parameters and settings", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        rows<{ i: number; s: string; quoted: unknown }>(db, "SELECT {i:UInt8} AS i, {s:String} AS s, toUInt64(7) AS quoted", {
          query_params: { i, s: `${AWKWARD[i % AWKWARD.length]}${i}` },
          clickhouse_settings: { output_format_json_quote_64bit_integers: i % 2 },
        }),
      ),
    );
    answers.forEach((answer, i) => {
      expect(answer).toEqual([{ i, s: `${AWKWARD[i % AWKWARD.length]}${i}`, quoted: i % 2 === 1 ? "7" : 7 }]);
    });
  });
});

describe("materialized views", () => {
  it("fills SummingMergeTree and AggregatingMergeTree targets on insert, read with -Merge", async () => {
    await db.command({ query: "CREATE TABLE hits (page String, user UInt32, ms UInt32) ENGINE = MergeTree ORDER BY page" });
    await db.command({ query: "CREATE TABLE hits_sum (page String, hits UInt64, ms UInt64) ENGINE = SummingMergeTree ORDER BY page" });
    await db.command({ query: "CREATE MATERIALIZED VIEW hits_sum_mv TO hits_sum AS SELECT page, count() AS hits, sum(ms) AS ms FROM hits GROUP BY page" });
    await db.command({
      query: `CREATE TABLE hits_agg (page String, users AggregateFunction(uniq, UInt32), p50 AggregateFunction(quantile(0.5), UInt32))
              ENGINE = AggregatingMergeTree ORDER BY page`,
    });
    await db.command({
      query: `CREATE MATERIALIZED VIEW hits_agg_mv TO hits_agg AS
              SELECT page, uniqState(user) AS users, quantileState(0.5)(ms) AS p50 FROM hits GROUP BY page`,
    });
    const values = Array.from({ length: 1_000 }, (_, i) => ({ page: i % 2 === 0 ? "/a" : "/b", user: i % 10, ms: i }));
    const first = await db.insert({ table: "hits", values: values.slice(0, 500), format: "JSONEachRow" });
    await db.insert({ table: "hits", values: values.slice(500), format: "JSONEachRow" });
    // The batch and one row per page in each view's target, as a server counts written_rows.
    expect(JSON.parse(String(first.response_headers["x-clickhouse-summary"]))).toMatchObject({ written_rows: "504" });

    expect(await rows(db, "SELECT page, sum(hits) AS hits, sum(ms) AS ms FROM hits_sum GROUP BY page ORDER BY page")).toEqual([
      { page: "/a", hits: 500, ms: 249_500 },
      { page: "/b", hits: 500, ms: 250_000 },
    ]);
    expect(await rows(db, "SELECT page, uniqMerge(users) AS users, quantileMerge(0.5)(p50) AS p50 FROM hits_agg GROUP BY page ORDER BY page")).toEqual([
      { page: "/a", users: 5, p50: expect.any(Number) },
      { page: "/b", users: 5, p50: expect.any(Number) },
    ]);
  });
});

describe("errors", () => {
  it("reports an unknown table as ClickHouseError 60 UNKNOWN_TABLE with a 404", async () => {
    const error = await rejection(db.query({ query: "SELECT * FROM no_such_table" }));
    expect(error.code).toBe("60");
    expect(error.type).toBe("UNKNOWN_TABLE");
    const raw = await post(`/?database=${DB}`, "SELECT * FROM no_such_table");
    expect(raw.status).toBe(404);
    expect(await raw.text()).toMatch(/^Code: 60\. DB::Exception: .+\(UNKNOWN_TABLE\) \(version 26\./);
  });

  it("reports a syntax error as ClickHouseError 62 SYNTAX_ERROR", async () => {
    const error = await rejection(admin.query({ query: "SELECT 1 1" }));
    expect(error.code).toBe("62");
    expect(error.type).toBe("SYNTAX_ERROR");
  });

  it("reports a mistyped keyword as SYNTAX_ERROR, quoting the failed token as a server does", async () => {
    // The client takes the first upper-case "(WORD)" of a message as the type: a bare "(SELEC)" would become the type.
    for (const query of ["SELEC 1", "SELECT (1", "SELECT 1 FROM t WHERE x IN (ABC DEF)"]) {
      const error = await rejection(admin.query({ query }));
      expect({ code: error.code, type: error.type }).toEqual({ code: "62", type: "SYNTAX_ERROR" });
    }
    const raw = await post("/", "SELEC 1");
    expect(raw.status).toBe(400);
    expect(raw.headers.get("x-clickhouse-exception-code")).toBe("62");
    expect(await raw.text()).toMatch(/^Code: 62\. DB::Exception: Syntax error: failed at position 1 \('SELEC'\): SELEC 1\. .+\(SYNTAX_ERROR\) \(version 26\.[\d.]+\)\n$/s);
    const atEnd = await post("/", "SELECT 1 +");
    expect(await atEnd.text()).toMatch(/failed at position \d+ \(end of query\)/);
  });

  it("reports bad insert data with the engine's parse error", async () => {
    const error = await rejection(db.insert({ table: "pairs", values: [{ k: "x", v: "not a number" }], format: "JSONEachRow" }));
    expect(Number(error.code)).toBeGreaterThan(0);
    expect(error.type).toMatch(/^CANNOT_PARSE|INCORRECT_DATA/);
  });
});

describe("persistence", () => {
  it("keeps tables and rows across close() and a restart on the same data dir", async () => {
    await Promise.all([admin.close(), db.close()]);
    await endpoint.close();
    endpoint = await startClickHouseEndpoint({ port: 0, dataDir, password: PASSWORD });
    admin = clientFor();
    db = clientFor({ database: DB });
    expect(await rows(db, "SELECT count() AS n, uniqExact(note) AS notes FROM events")).toEqual([{ n: 10_000, notes: 10_000 }]);
    expect(await rows(db, "SELECT sum(hits) AS hits FROM hits_sum")).toEqual([{ hits: 1_000 }]);
  });
});
