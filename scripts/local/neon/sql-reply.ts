/**
 * Shapes `pg` results and errors the way Neon's `/sql` answers, which is what
 * `@neondatabase/serverless` parses: it reads `fields[].dataTypeID` to pick a text
 * parser per column, and copies the Postgres error fields of a 400 onto NeonDbError.
 */
import pg from "pg";
import type { DatabaseError, FieldDef } from "pg";
import type { ReplyOptions } from "./sql-request.ts";

/** A pg result whose values were left as Postgres text (see RAW_TEXT_TYPES). */
export interface TextResult {
  command: string;
  rowCount: number | null;
  fields: FieldDef[];
  rows: (string | null)[][];
}

export interface WireField {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: string;
}

export type WireValue = string | number | boolean | null | WireValue[] | { [key: string]: WireValue };

export interface WireResult {
  command: string;
  rowCount: number | null;
  rowAsArray: boolean;
  fields: WireField[];
  rows: WireValue[][] | Record<string, WireValue>[];
}

/** Makes pg hand back every value exactly as Postgres printed it. */
export const RAW_TEXT_TYPES = { getTypeParser: () => (value: string) => value };

/**
 * Without Neon-Raw-Text-Output the types JSON can carry (booleans, 32-bit and float
 * numbers, json) become JSON values; the rest (int8, numeric, dates, bytea...) stays
 * text, so no precision or time zone is lost on the way.
 */
const JSON_VALUE_TYPE_OIDS: ReadonlySet<number> = new Set([
  16, // bool
  21, // int2
  23, // int4
  26, // oid
  700, // float4
  701, // float8
  114, // json
  3802, // jsonb
  1000, // bool[]
  1005, // int2[]
  1007, // int4[]
  1021, // float4[]
  1022, // float8[]
  199, // json[]
  3807, // jsonb[]
  1009, // text[]
  1015, // varchar[]
]);

export function toWireResult(result: TextResult, options: ReplyOptions): WireResult {
  const fields = result.fields.map((f) => ({
    name: f.name,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeID: f.dataTypeID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
    format: f.format,
  }));
  const convert = fields.map((f) => valueConverter(f.dataTypeID, options.rawTextOutput));
  const arrays = result.rows.map((row) => row.map((value, i) => (value === null ? null : convert[i]!(value))));
  const rows = options.arrayMode
    ? arrays
    : arrays.map((row) => Object.fromEntries(fields.map((f, i) => [f.name, row[i] ?? null])));
  return { command: result.command, rowCount: result.rowCount, rowAsArray: options.arrayMode, fields, rows };
}

function valueConverter(oid: number, rawText: boolean): (text: string) => WireValue {
  if (rawText || !JSON_VALUE_TYPE_OIDS.has(oid)) return (text) => text;
  const parse = pg.types.getTypeParser(oid, "text") as (text: string) => WireValue;
  return (text) => parse(text);
}

/** The DatabaseError fields NeonDbError copies from a 400 body. */
const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

export type WireError = { message: string } & Partial<Record<(typeof ERROR_FIELDS)[number], string>>;

export function toWireError(err: DatabaseError): WireError {
  const wire: WireError = { message: err.message };
  for (const field of ERROR_FIELDS) {
    const value = err[field];
    if (value !== undefined) wire[field] = value;
  }
  return wire;
}

export function isDatabaseError(err: unknown): err is DatabaseError {
  return err instanceof pg.DatabaseError;
}
