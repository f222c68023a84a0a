/**
 * A migrated Postgres database of its own, next to the local stack's, for a test
 * file or a benchmark that must not share rows (or cached keys) with anything else.
 */
import pg from "pg";
import { migratePostgres } from "../migrate.ts";
import { dropDatabase } from "./drop-database.ts";
import { localUrls } from "./local-config.ts";

export interface ThrowawayDatabase {
  name: string;
  url: string;
  /** Drops it (and closes the admin connection); call once. */
  drop(): Promise<void>;
}

export async function createMigratedDatabase(prefix: string): Promise<ThrowawayDatabase> {
  const base = process.env.DATABASE_URL ?? localUrls().DATABASE_URL;
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migratePostgres(url.toString(), { log: () => undefined });
  return {
    name,
    url: url.toString(),
    async drop() {
      await dropDatabase(admin, name);
      await admin.end();
    },
  };
}
