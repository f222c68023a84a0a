/**
 * Extensions the index advisor reads: pg_stat_statements (the workload) and hypopg
 * (hypothetical indexes to cost candidates). Kept apart from the domain so the schema never
 * depends on them. Neither extension is "trusted", so a role that is not a superuser (or
 * Neon's neon_superuser) may not create them, and hypopg may not be installed at all: both
 * cases warn instead of failing, and the advisor degrades by checking pg_extension at run time.
 */
import type { Migration } from "../migration-types.ts";

/** A DO block that creates `name` when the server has it and the role may; otherwise it only warns. */
export function createExtensionIfPossible(name: string): string {
  return `DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = '${name}') THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = '${name}') THEN
    RAISE WARNING 'extension ${name} is not installed on this server; the index advisor will run without it';
    RETURN;
  END IF;
  CREATE EXTENSION IF NOT EXISTS ${name};
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'role % may not create extension ${name}; the index advisor will run without it', current_user;
END
$$`;
}

export const extensions: Migration = {
  id: "0002_extensions",
  statements: [createExtensionIfPossible("pg_stat_statements"), createExtensionIfPossible("hypopg")],
};
