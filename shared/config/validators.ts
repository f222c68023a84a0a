/** Building blocks of the env schemas: number, URL and list validators, env normalisation, freezing. */
// zod/mini, not zod: the same validation for ~20 KB of Worker bundle instead of ~450 KB.
import * as z from "zod/mini";
import type { ConfigIssue } from "./errors.ts";
import type { DeepReadonly, QueryClassName } from "./types.ts";

export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number({ error: "must be a number" }).check(
    z.refine((n: number) => Number.isInteger(n), { error: "must be an integer" }),
    z.minimum(min, { error: `must be >= ${min}` }),
    z.maximum(max, { error: `must be <= ${max}` }),
  );

/** An integer variable with its default, within [min, max]. */
export const intOr = (fallback: number, min: number, max?: number) => z._default(int(min, max), fallback);

export const required = z.string({ error: "is required" }).check(z.minLength(1, { error: "is required" }));

export const urlWithScheme = (schemes: readonly string[]) =>
  z.string().check(
    z.refine(
      (value: string) => {
        try {
          return schemes.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { error: `must be a ${schemes.map((s) => `${s}//`).join(" or ")} URL` },
    ),
  );

export const hostPort = z
  .string()
  .check(z.regex(/^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/, { error: "must be host or host:port" }));

export const TABLE_CLASSES_PATTERN = /^\s*([A-Za-z_][\w.]*\s*=\s*(user|config|default)\s*(,\s*|$))*$/;

/** "users=user,public.api_keys=config" -> { "public.users": "user", "public.api_keys": "config" }. */
export function parseTableClasses(raw: string): Record<string, QueryClassName> {
  const classes: Record<string, QueryClassName> = {};
  for (const entry of raw.split(",")) {
    const [table, cls] = entry.split("=").map((part) => part.trim().toLowerCase());
    if (table === undefined || table === "" || cls === undefined) continue;
    classes[table.includes(".") ? table : `public.${table}`] = cls as QueryClassName;
  }
  return classes;
}

/** "https://a.example, http://localhost:5173" -> ["https://a.example", "http://localhost:5173"]; "" -> []. */
export function parseOriginList(raw: string): string[] {
  return raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
}

export function isOriginList(raw: string): boolean {
  return parseOriginList(raw).every((entry) => {
    if (entry === "*") return true;
    try {
      const url = new URL(entry);
      return (url.protocol === "http:" || url.protocol === "https:") && url.origin === entry.replace(/\/$/, "");
    } catch {
      return false;
    }
  });
}


/**
 * Reads only the variables the schema knows; empty strings count as unset so a
 * blank line in .dev.vars falls back to the default. Numbers and booleans (TOML
 * [vars] may hold them) become strings; anything else is rejected.
 */
export function normalise(env: Readonly<Record<string, unknown>>, names: readonly string[]): { values: Record<string, string>; issues: ConfigIssue[] } {
  const values: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw === null) continue;
    if (typeof raw === "number" || typeof raw === "boolean") {
      values[name] = String(raw);
      continue;
    }
    if (typeof raw !== "string") {
      issues.push({ variable: name, message: "must be a string" });
      continue;
    }
    const trimmed = raw.trim();
    if (trimmed !== "") values[name] = trimmed;
  }
  return { values, issues };
}

export function deepFreeze<T extends object>(value: T): DeepReadonly<T> {
  for (const child of Object.values(value)) {
    if (typeof child === "object" && child !== null) deepFreeze(child);
  }
  return Object.freeze(value) as DeepReadonly<T>;
}

