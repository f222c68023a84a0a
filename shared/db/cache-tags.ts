/**
 * The cache tags of one call, from the statement's analysis and the call's
 * parameters (and, for writes, its result rows): rows where the statement
 * bounds them, whole tables where it does not (see ./row-bounds.ts).
 */
import type { ReadTags } from "../cache/types.ts";
import { listTag, rowKey, rowTag } from "./row-bounds.ts";
import type { CatalogEntry } from "./statement-catalog.ts";

/** Past this many rows a write bumps its table: one tag per row would cost more than it saves. */
export const MAX_ROW_TAGS = 100;

/** A read's tags: its row when it reads by a canonical id, else its tables and their lists. */
export function readTags(entry: CatalogEntry, params: readonly unknown[]): readonly string[] {
  const row = entry.analysis.rowRead;
  if (row === undefined) return entry.tags;
  const key = rowKey(params[row.param]);
  return key === undefined ? entry.tags : [row.table, rowTag(row.table, key)];
}

/**
 * A read's tags as the cache takes them, plus the caller's `extra`. A statement that does not
 * read by id has one list for every call. A read by id gets a function the cache calls only on
 * a miss or a token check: an L1 hit checks the tags its entry was stored with (one key is one
 * statement and one set of parameters, so the same tags), and derives nothing.
 */
export function readTagsFor(entry: CatalogEntry, params: readonly unknown[], extra: readonly string[] | undefined): ReadTags {
  const own = extra === undefined || extra.length === 0;
  if (entry.analysis.rowRead === undefined) return own ? entry.tags : [...entry.tags, ...extra];
  return own ? () => readTags(entry, params) : () => [...readTags(entry, params), ...extra];
}

/**
 * The tags a write bumps. rows: the statement's result, or undefined when its outcome is
 * unknown (then rows known only from the result cannot be named and the table is bumped).
 */
export function writeTags(entry: CatalogEntry, params: readonly unknown[], rows: readonly unknown[] | undefined): string[] {
  const { tablesWritten, writeBounds } = entry.analysis;
  const tags: string[] = [];
  for (const table of tablesWritten) {
    const rowTags = boundRows(table, writeBounds, params, rows);
    if (rowTags === undefined) tags.push(table);
    else tags.push(listTag(table), ...rowTags);
  }
  return tags;
}

function boundRows(table: string, bounds: CatalogEntry["analysis"]["writeBounds"], params: readonly unknown[], rows: readonly unknown[] | undefined): string[] | undefined {
  const mine = bounds?.filter((b) => b.table === table) ?? [];
  if (mine.length === 0) return undefined;
  const keys = new Set<string>();
  const add = (value: unknown): boolean => {
    const key = rowKey(value);
    if (key === undefined) return false;
    keys.add(key);
    return true;
  };
  for (const bound of mine) {
    if (bound.by === "table") return undefined;
    if (bound.by === "params") {
      for (const p of bound.params) if (!add(params[p])) return undefined;
      for (const p of bound.arrays) {
        const values = params[p];
        if (!Array.isArray(values) || !values.every(add)) return undefined;
      }
    } else {
      if (rows === undefined) return undefined;
      for (const row of rows) {
        if (typeof row !== "object" || row === null || !add((row as Record<string, unknown>)[bound.column])) return undefined;
      }
    }
    if (keys.size > MAX_ROW_TAGS) return undefined;
  }
  return [...keys].map((key) => rowTag(table, key));
}
