/**
 * Node-side setup for the worker fuzz tests: a throwaway Postgres database of their
 * own (migrated; dropped afterwards), so "a rejected write changes nothing" can be
 * checked with exact row counts while other test files write elsewhere.
 */
import type { TestProject } from "vitest/node";
import { createMigratedDatabase } from "../../scripts/lib/throwaway-database.ts";

declare module "vitest" {
  export interface ProvidedContext {
    fuzzDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = await createMigratedDatabase("netra_test_fuzz");
  project.provide("fuzzDatabaseUrl", database.url);
  return async () => {
    await database.drop();
  };
}
