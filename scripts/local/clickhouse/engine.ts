/**
 * The chdb session of this process. chdb binds one data directory per process
 * and its engine is not reentrant (parameterised queries on concurrent calls
 * clobber each other), so every request runs through one queue.
 *
 * A request's database, settings and `param_` values are session state in chdb
 * (`USE`, `SET`). Before each query the session is brought to exactly that
 * request's state (its settings, every other setting at the baseline, its
 * database or `default`), so nothing leaks into the next request, as nothing
 * outlives a request on a real server without `session_id`. The engine tracks
 * the state it left behind and changes only the difference: a client that sends
 * the same settings with every request (as @clickhouse/client-web does) costs
 * no extra round trip into the engine. A request whose own statement is SET or
 * USE runs on a throwaway connection to the same data directory for the same
 * reason.
 */
import { drainPending, type RawInsertFormat, Session } from "chdb";
import { ClickHouseHttpError } from "./errors.ts";

export interface EngineQuery {
  sql: string;
  /** Output format unless the SQL names one itself. */
  format: string;
  database: string | undefined;
  settings: ReadonlyMap<string, string>;
  params: ReadonlyMap<string, string>;
  /** The statement is SET or USE. */
  changesSession: boolean;
  /** The statement is an INSERT: count the rows it writes. */
  isInsert: boolean;
  /**
   * A plain `INSERT INTO <table> [(<columns>)] FORMAT <format>` with its data (what the
   * official client sends): it goes through chdb's raw insert, which reports the rows written
   * (views included) itself, instead of two reads of system.events around the statement.
   */
  dataInsert?: DataInsert;
}

export interface DataInsert {
  table: string;
  columns: string[] | undefined;
  format: RawInsertFormat;
  data: string;
}

export interface EngineResult {
  bytes: Uint8Array;
  resultRows: number;
  resultBytes: number;
  writtenRows: number;
  writtenBytes: number;
  elapsedNs: number;
}

/** chdb session defaults that differ from a server's and change what SQL means. */
const SERVER_DEFAULTS = "SET implicit_select = 0";
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What the shared session holds now, beyond chdb's start-up state. */
interface SessionState {
  database: string;
  /** Settings this engine has SET, by name: the value the session holds. */
  settings: Map<string, string>;
}

export class ChdbEngine {
  readonly version: string;
  readonly timezone: string;
  readonly #dataDir: string;
  readonly #session: Session;
  /** Settings chdb starts with changed from their defaults: what a reset restores. */
  readonly #baseline: ReadonlyMap<string, string>;
  readonly #state: SessionState = { database: "default", settings: new Map() };
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(dataDir: string, session: Session, about: { version: string; timezone: string; baseline: Map<string, string> }) {
    this.#dataDir = dataDir;
    this.#session = session;
    this.version = about.version;
    this.timezone = about.timezone;
    this.#baseline = about.baseline;
  }

  static async open(dataDir: string): Promise<ChdbEngine> {
    const session = new Session(dataDir);
    try {
      await session.queryAsync(SERVER_DEFAULTS);
      const [version, timezone] = (await session.queryAsync("SELECT version(), timezone()", { format: "JSONCompactEachRow" })).json<[string, string]>();
      return new ChdbEngine(dataDir, session, { version, timezone, baseline: await changedSettings(session) });
    } catch (error) {
      session.close();
      throw error;
    }
  }

  /** Run one request's query; requests run one at a time, in arrival order. */
  run(query: EngineQuery): Promise<EngineResult> {
    if (this.#closed) return Promise.reject(new Error("the ClickHouse engine is closed"));
    const result = this.#tail.then(() => (query.changesSession ? this.#executeAside(query) : this.#execute(query)));
    const leftParams = !query.changesSession && query.params.size > 0;
    this.#tail = result.then(
      () => (leftParams ? this.#clearParamsSoon() : undefined),
      () => (leftParams ? this.#clearParamsSoon() : undefined),
    );
    return result;
  }

  /** Finish queued requests, then release the session (the data stays in the data dir). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    this.#session.close();
    await drainPending();
  }

  async #execute(query: EngineQuery): Promise<EngineResult> {
    const session = this.#session;
    if (query.dataInsert !== undefined) {
      await this.#enter(query);
      const { table, columns, format, data } = query.dataInsert;
      const summary = await session.insert({ table, format, values: Buffer.from(data, "utf8"), ...(columns === undefined ? {} : { columns }) });
      return { bytes: new Uint8Array(), resultRows: 0, resultBytes: 0, writtenRows: summary.rowsWritten, writtenBytes: summary.bytesWritten, elapsedNs: Math.round(summary.elapsed * 1e9) };
    }
    const before = query.isInsert ? await insertedCounters(session) : undefined;
    await this.#enter(query);
    const result = await runSql(session, query);
    if (before !== undefined) {
      const after = await insertedCounters(session);
      result.writtenRows = after.rows - before.rows;
      result.writtenBytes = after.bytes - before.bytes;
    }
    return result;
  }

  /**
   * SQL cannot unset a query parameter, but chdb clears all of a connection's
   * parameters when a parameterised call returns. The call is synchronous, so it
   * runs on the next turn, after the reply has been written, and before the next
   * request (it is part of the queue).
   */
  #clearParamsSoon(): Promise<void> {
    return new Promise((resolve) => {
      setImmediate(() => {
        clearParams(this.#session);
        resolve();
      });
    });
  }

  async #executeAside(query: EngineQuery): Promise<EngineResult> {
    const aside = new Session(this.#dataDir);
    try {
      await aside.queryAsync(SERVER_DEFAULTS);
      if (query.database !== undefined) await aside.queryAsync(`USE ${quoteIdentifier(query.database)}`);
      const assignments = [...settingAssignments(query.settings), ...paramAssignments(query.params)];
      if (assignments.length > 0) await aside.queryAsync(`SET ${assignments.join(", ")}`);
      return await runSql(aside, query);
    } finally {
      aside.close();
    }
  }

  /**
   * Bring the shared session to the request's database, settings and parameters,
   * changing only what differs from the state the last request left.
   */
  async #enter(query: EngineQuery): Promise<void> {
    const session = this.#session;
    const state = this.#state;
    const database = query.database ?? "default";
    if (database !== state.database) {
      await session.queryAsync(`USE ${quoteIdentifier(database)}`);
      state.database = database;
    }
    const changed = [...query.settings].filter(([name, value]) => state.settings.get(name) !== value);
    const reset = [...state.settings.keys()].filter((name) => !query.settings.has(name));
    const assignments = [
      ...settingAssignments(new Map(changed)),
      ...reset.map((name) => {
        const baseline = this.#baseline.get(name);
        return `${name} = ${baseline === undefined ? "DEFAULT" : quoteString(baseline)}`;
      }),
      ...paramAssignments(query.params),
    ];
    if (assignments.length === 0) return;
    // A SET is checked as a whole before it applies, so a failed one changed no setting.
    await session.queryAsync(`SET ${assignments.join(", ")}`);
    for (const name of reset) state.settings.delete(name);
    for (const [name, value] of changed) state.settings.set(name, value);
  }
}

function settingAssignments(settings: ReadonlyMap<string, string>): string[] {
  return [...settings].map(([name, value]) => `${settingName(name)} = ${quoteString(value)}`);
}

function paramAssignments(params: ReadonlyMap<string, string>): string[] {
  return [...params].map(([name, value]) => `param_${paramName(name)} = ${quoteString(value)}`);
}

function clearParams(session: Session): void {
  try {
    session.queryBind("SELECT 1", { netra_reset: 0 }, "Null");
  } catch (error) {
    // A parameter left behind would answer a later request's unbound {name}: loud.
    console.error("clickhouse endpoint: could not clear query parameters after a request:", error);
  }
}

async function runSql(session: Session, query: EngineQuery): Promise<EngineResult> {
  const result = await session.queryAsync(query.sql, { format: query.format });
  return {
    bytes: result.bytes(),
    resultRows: result.rowsRead,
    resultBytes: result.bytesRead,
    writtenRows: 0,
    writtenBytes: 0,
    elapsedNs: Math.round(result.elapsed * 1e9),
  };
}

async function changedSettings(session: Session): Promise<Map<string, string>> {
  const result = await session.queryAsync("SELECT name, value FROM system.settings WHERE changed", { format: "JSONCompactEachRow" });
  return new Map(result.text().split("\n").filter(Boolean).map((line) => JSON.parse(line) as [string, string]));
}

/** Rows and bytes all inserts have written so far, materialized views included (the server's written_rows). */
async function insertedCounters(session: Session): Promise<{ rows: number; bytes: number }> {
  const result = await session.queryAsync(
    "SELECT sumIf(value, event = 'InsertedRows'), sumIf(value, event = 'InsertedBytes') FROM system.events",
    { format: "JSONCompactEachRow" },
  );
  const [rows, bytes] = result.json<[number | string, number | string]>();
  return { rows: Number(rows), bytes: Number(bytes) };
}

function settingName(name: string): string {
  if (!IDENTIFIER.test(name)) throw ClickHouseHttpError.of("UNKNOWN_SETTING", `Unknown setting '${name}'`);
  return name;
}

function paramName(name: string): string {
  if (!IDENTIFIER.test(name)) throw ClickHouseHttpError.of("BAD_ARGUMENTS", `Invalid query parameter name '${name}'`);
  return name;
}

/** A SQL string literal whose value is exactly `text`. */
function quoteString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}
