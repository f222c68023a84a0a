/**
 * Drops a throwaway database even while autovacuum works in it. `WITH (FORCE)` must
 * terminate every backend there, and a non-superuser may not terminate an autovacuum
 * worker (it runs as the bootstrap superuser): that fails with 42501. A plain DROP
 * signals autovacuum to stop and waits for it, so fall back to that, and retry while
 * a backend is still leaving (55006).
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface Queryable {
  query(sql: string): Promise<unknown>;
}

export async function dropDatabase(admin: Queryable, name: string, attempts = 20): Promise<void> {
  const quoted = `"${name.replaceAll('"', '""')}"`;
  let force = true;
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoted}${force ? " WITH (FORCE)" : ""}`);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= attempts || (code !== "42501" && code !== "55006")) throw error;
      if (code === "42501") force = false;
      await sleep(250);
    }
  }
}
