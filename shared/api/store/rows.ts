/** Small helpers the stores share: positional parameters and row value conversion. */
import type { QueryResult } from "../../db/query-types.ts";

/** Collects parameter values and hands out their `$n` placeholders, so SQL is built without ever splicing a value. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Date-time columns arrive as Date from the driver, or as an ISO string after a cache round trip. */
export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return new Date(value).toISOString();
  throw new TypeError(`expected a timestamp, got ${typeof value}`);
}

export function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new TypeError(`expected text, got ${typeof value}`);
}

export function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

export function jsonObject(value: unknown): Record<string, unknown> {
  if (typeof value === "string") return JSON.parse(value) as Record<string, unknown>;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new TypeError("expected a JSON object");
}

/** What a store hands back besides its value: how the statement(s) were served, for x-cache and server-timing. */
export interface Served<T> {
  value: T;
  tier: QueryResult<unknown>["tier"];
  dbMs: number;
}

export function served<T>(value: T, result: Pick<QueryResult<unknown>, "tier" | "dbMs">): Served<T> {
  return { value, tier: result.tier, dbMs: result.dbMs };
}
