/**
 * Node-side setup for the worker fuzz tests: a throwaway Postgres database of their
 * own (migrated; dropped afterwards), so "a rejected write changes nothing" can be
 * checked with exact row counts while other test files write elsewhere.
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { migratePostgres } from "../../scripts/migrate.ts";
import { dropDatabase } from "../../scripts/lib/drop-database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fuzzDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = process.env.DATABASE_URL ?? localUrls().DATABASE_URL;
  const name = `netra_test_fuzz_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migratePostgres(url.toString(), { log: () => undefined });
  project.provide("fuzzDatabaseUrl", url.toString());
  return async () => {
    await dropDatabase(admin, name);
    await admin.end();
  };
}
