/**
 * The local Neon endpoint (scripts/local/neon) driven by the unmodified
 * @neondatabase/serverless client against a real Postgres (DATABASE_URL).
 */
import { Client, neon, neonConfig, NeonDbError, Pool, type NeonQueryFunction } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws, { WebSocket } from "ws";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { startNeonEndpoint, type NeonEndpoint } from "../../scripts/local/neon/server.ts";
import { configureNeonForLocalEndpoint } from "../../shared/db/neon-local.ts";

const DATABASE_URL = process.env.DATABASE_URL ?? localUrls().DATABASE_URL;
const TABLE = `neon_local_test_${process.pid}_${Date.now()}`;

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.href;
}

function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set(name, value);
  return parsed.href;
}

/** Resolves with the promise's value, or fails the test instead of hanging it. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)),
  ]);
}

async function rejection(promise: Promise<unknown>): Promise<NeonDbError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as NeonDbError;
}

let endpoint: NeonEndpoint;
let sql: NeonQueryFunction<false, false>;

beforeAll(async () => {
  endpoint = await startNeonEndpoint({ port: 0 });
  neonConfig.webSocketConstructor = ws;
  configureNeonForLocalEndpoint(neonConfig, `127.0.0.1:${endpoint.port}`);
  sql = neon(DATABASE_URL);
  await sql.query(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, name text NOT NULL)`);
});

afterAll(async () => {
  await sql?.query(`DROP TABLE IF EXISTS ${TABLE}`);
  await endpoint?.close();
});

describe("HTTP /sql with neon()", () => {
  it("round-trips parameters of many types back to the right JS types", async () => {
    const at = new Date("2024-02-29T12:34:56.789Z");
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    const text = `it's "quoted", back\\slash — ünïcødé 🐘`;
    const rows = await sql`SELECT ${42}::int AS int, ${"9007199254740993"}::int8 AS big,
      ${"12345.678901234567890"}::numeric AS num, ${text}::text AS txt, ${true}::bool AS flag,
      ${null}::text AS nothing, ${at}::timestamptz AS at, ${{ a: [1, { b: "c" }], q: "it's" }}::jsonb AS doc,
      ${[1, 2, 3]}::int[] AS ints, ${["a,b", 'q"uote', null]}::text[] AS texts, ${bytes} AS raw`;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.int).toBe(42);
    expect(row.big).toBe("9007199254740993");
    expect(row.num).toBe("12345.678901234567890");
    expect(row.txt).toBe(text);
    expect(row.flag).toBe(true);
    expect(row.nothing).toBeNull();
    expect(row.at).toBeInstanceOf(Date);
    expect((row.at as Date).getTime()).toBe(at.getTime());
    expect(row.doc).toEqual({ a: [1, { b: "c" }], q: "it's" });
    expect(row.ints).toEqual([1, 2, 3]);
    expect(row.texts).toEqual(["a,b", 'q"uote', null]);
    expect([...(row.raw as Uint8Array)]).toEqual([...bytes]);
  });

  it("returns full results with field metadata, as objects or arrays", async () => {
    await sql.query(`INSERT INTO ${TABLE} (id, name) VALUES (1000, 'meta')`);
    const full = neon(DATABASE_URL, { fullResults: true });
    const result = await full.query(`SELECT id, name FROM ${TABLE} WHERE id = $1`, [1000]);
    expect(result.command).toBe("SELECT");
    expect(result.rowCount).toBe(1);
    expect(result.rows).toEqual([{ id: 1000, name: "meta" }]);
    expect(result.fields.map((f) => [f.name, f.dataTypeID, f.columnID, f.format])).toEqual([
      ["id", 23, 1, "text"],
      ["name", 25, 2, "text"],
    ]);
    expect(result.fields[0]!.tableID).toBeGreaterThan(0);

    const arrays = neon(DATABASE_URL, { arrayMode: true, fullResults: true });
    const asArrays = await arrays.query(`SELECT id, name FROM ${TABLE} WHERE id = $1`, [1000]);
    expect(asArrays.rowAsArray).toBe(true);
    expect(asArrays.rows).toEqual([[1000, "meta"]]);
  });

  it("commits a transaction batch as a whole", async () => {
    const results = await sql.transaction((tx) => [
      tx`INSERT INTO ${sql.unsafe(TABLE)} (id, name) VALUES (1, 'one')`,
      tx`INSERT INTO ${sql.unsafe(TABLE)} (id, name) VALUES (2, 'two')`,
      tx`SELECT count(*)::int AS n FROM ${sql.unsafe(TABLE)} WHERE id IN (1, 2)`,
    ]);
    expect(results[2]).toEqual([{ n: 2 }]);
    expect(await sql`SELECT name FROM ${sql.unsafe(TABLE)} WHERE id IN (1, 2) ORDER BY id`).toEqual([
      { name: "one" },
      { name: "two" },
    ]);
  });

  it("rolls back the whole batch when one statement fails", async () => {
    const err = await rejection(
      sql.transaction([
        sql`INSERT INTO ${sql.unsafe(TABLE)} (id, name) VALUES (3, 'three')`,
        sql`INSERT INTO ${sql.unsafe(TABLE)} (id, name) VALUES (1, 'duplicate')`,
      ]),
    );
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("23505");
    expect(await sql`SELECT id FROM ${sql.unsafe(TABLE)} WHERE id = 3`).toEqual([]);
  });

  it("applies isolation level, read-only and deferrable to the batch transaction", async () => {
    const [isolation, readOnly, deferrable] = await sql.transaction(
      (tx) => [tx`SHOW transaction_isolation`, tx`SHOW transaction_read_only`, tx`SHOW transaction_deferrable`],
      { isolationLevel: "Serializable", readOnly: true, deferrable: true },
    );
    expect(isolation).toEqual([{ transaction_isolation: "serializable" }]);
    expect(readOnly).toEqual([{ transaction_read_only: "on" }]);
    expect(deferrable).toEqual([{ transaction_deferrable: "on" }]);

    const [defaults] = await sql.transaction([sql`SHOW transaction_isolation`]);
    expect(defaults).toEqual([{ transaction_isolation: "read committed" }]);

    const err = await rejection(
      sql.transaction([sql`INSERT INTO ${sql.unsafe(TABLE)} (id, name) VALUES (4, 'ro')`], { readOnly: true }),
    );
    expect(err.code).toBe("25006");
  });

  it("survives Postgres ending the session of a /sql request (alone or mid-batch) and serves the next one", async () => {
    // The backend dies while pg has no query running on the client: pg then emits 'error' on it.
    const alone = await rejection(sql.query("SELECT pg_terminate_backend(pg_backend_pid())"));
    expect(alone.code).toBe("57P01");
    const inBatch = await rejection(sql.transaction([sql`SELECT pg_terminate_backend(pg_backend_pid())`, sql`SELECT 1`]));
    expect(inBatch.code).toBe("57P01");
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 8; i++) expect(await sql.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });

  it("raises NeonDbError with code and position for a syntax error", async () => {
    const err = await rejection(sql.query("SELEC 1"));
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("42601");
    expect(err.position).toBe("1");
    expect(err.severity).toBe("ERROR");
    expect(err.message).toMatch(/syntax error/);
  });

  it("raises NeonDbError with constraint and table for a unique violation", async () => {
    await sql.query(`INSERT INTO ${TABLE} (id, name) VALUES (10, 'ten')`);
    const err = await rejection(sql.query(`INSERT INTO ${TABLE} (id, name) VALUES (10, 'again')`));
    expect(err.code).toBe("23505");
    expect(err.constraint).toBe(`${TABLE}_pkey`);
    expect(err.table).toBe(TABLE);
    expect(err.detail).toMatch(/already exists/);
  });

  it("rejects a wrong password with the Postgres authentication error", async () => {
    const err = await rejection(neon(withPassword(DATABASE_URL, "wrong-password"))`SELECT 1`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("28P01");
  });

  it("passes a statement_timeout set in the connection string through to Postgres", async () => {
    const timed = neon(withParam(DATABASE_URL, "options", "-c statement_timeout=100"));
    const err = await rejection(timed`SELECT pg_sleep(3)`);
    expect(err.code).toBe("57014");
  });

  it("cancels the running statement when the caller aborts the request", async () => {
    const marker = `abort_${Date.now()}`;
    const err = await rejection(
      sql.query(`SELECT pg_sleep(10) /* ${marker} */`, [], { fetchOptions: { signal: AbortSignal.timeout(300) } }),
    );
    expect(err.message).toMatch(/abort|timeout/i);
    const running = async () =>
      (await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1`, [
        `%/* ${marker} */`,
      ])) as { n: number }[];
    const deadline = Date.now() + 3_000;
    while ((await running())[0]!.n > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await running())[0]!.n).toBe(0);
  });

  it("refuses a connection string for a host other than this machine", async () => {
    const err = await rejection(neon("postgres://netra:x@db.example.com:5432/netra")`SELECT 1`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.message).toMatch(/host not allowed: db\.example\.com/);
  });

  it("answers a malformed body or wrong method with a JSON error instead of crashing", async () => {
    const url = `http://127.0.0.1:${endpoint.port}/sql`;
    const headers = { "Neon-Connection-String": DATABASE_URL };
    for (const body of ["{not json", '{"queries": 5}', '{"query": 1}', '{"query": "SELECT 1", "params": [{}]}', "[]"]) {
      const res = await fetch(url, { method: "POST", headers, body });
      expect(res.status, body).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(typeof ((await res.json()) as { message: unknown }).message).toBe("string");
    }
    const missingHeader = await fetch(url, { method: "POST", body: '{"query": "SELECT 1"}' });
    expect(missingHeader.status).toBe(400);
    expect(await missingHeader.json()).toEqual({ message: "missing Neon-Connection-String header" });
    expect((await fetch(url)).status).toBe(405);
    expect(await sql`SELECT 1 AS still_serving`).toEqual([{ still_serving: 1 }]);
  });
});

describe("WebSocket relay with Pool and Client", () => {
  it("runs a real transaction on a Pool and ends the pool without hanging", async () => {
    const pool = new Pool({ connectionString: DATABASE_URL });
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(`INSERT INTO ${TABLE} (id, name) VALUES ($1, $2)`, [100, "rolled back"]);
      const inside = await client.query(`SELECT name FROM ${TABLE} WHERE id = $1`, [100]);
      expect(inside.rows).toEqual([{ name: "rolled back" }]);
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    const after = await pool.query(`SELECT count(*)::int AS n FROM ${TABLE} WHERE id = 100`);
    expect(after.rows).toEqual([{ n: 0 }]);
    await within(5_000, "pool.end()", pool.end());
  });

  it("connects, queries and ends a Client", async () => {
    const client = new Client(DATABASE_URL);
    await client.connect();
    const result = await client.query("SELECT $1::text AS echo, current_user AS who", ["héllo"]);
    expect(result.rows).toEqual([{ echo: "héllo", who: new URL(DATABASE_URL).username }]);
    await within(5_000, "client.end()", client.end());
  });

  it("ends the Client when Postgres terminates its backend", async () => {
    const client = new Client(DATABASE_URL);
    client.on("error", () => {});
    await client.connect();
    const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
    const { rows } = await client.query("SELECT pg_backend_pid() AS pid");
    await sql.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
    await within(5_000, "client end after backend termination", ended);
  });

  it("rejects a Pool query with a wrong password", async () => {
    const pool = new Pool({ connectionString: withPassword(DATABASE_URL, "wrong-password") });
    pool.on("error", () => {});
    const err = await rejection(pool.query("SELECT 1"));
    expect((err as { code?: string }).code).toBe("28P01");
    await within(5_000, "pool.end()", pool.end());
  });

  it("refuses to relay to an address off this machine, with a close reason", async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${endpoint.port}/v2?address=example.com:5432`);
    const [code, reason] = await within(
      5_000,
      "relay close",
      new Promise<[number, string]>((resolve) => socket.on("close", (c, r) => resolve([c, r.toString()]))),
    );
    expect(code).toBe(1008);
    expect(reason).toMatch(/address not allowed: example\.com/);
  });
});

describe("injected delay", () => {
  it("adds delayMs to each /sql request and to WebSocket connection setup", async () => {
    const delayMs = 150;
    const slow = await startNeonEndpoint({ port: 0, delayMs });
    try {
      configureNeonForLocalEndpoint(neonConfig, `127.0.0.1:${slow.port}`);
      const started = performance.now();
      await neon(DATABASE_URL)`SELECT 1`;
      expect(performance.now() - started).toBeGreaterThanOrEqual(delayMs - 10);

      const client = new Client(DATABASE_URL);
      const connecting = performance.now();
      await client.connect();
      expect(performance.now() - connecting).toBeGreaterThanOrEqual(delayMs - 10);
      await client.end();
    } finally {
      configureNeonForLocalEndpoint(neonConfig, `127.0.0.1:${endpoint.port}`);
      await slow.close();
    }
  });
});
