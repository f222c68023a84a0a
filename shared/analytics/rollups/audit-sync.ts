/**
 * How audit logs reach ClickHouse: they live in Postgres (audit_logs, append-only,
 * identity ids), and this sync copies new rows into audit_events by id, where the
 * user_activity_day view rolls them up. Chosen over emitting from the API on append
 * because it also carries rows written by anything else (seed, migrations, other
 * services) and needs no cooperation from every writer.
 *
 * Only rows older than `settleMs` are copied: identity values are handed out before
 * commit, so a younger id may still be invisible while a higher one is visible. The
 * position (last copied id) is kept in pipeline_watermarks and advances after each batch;
 * a run starts from the highest id ClickHouse already holds when that is further, so a
 * crash between a batch's insert and its watermark copies no row twice.
 */
import type { AuditEventRow } from "../event-rows.ts";
import type { ClickHouseRunner } from "./runner.ts";
import { writeWatermark, type Watermark } from "./watermarks.ts";

export const AUDIT_SYNC = "audit_sync";

/** A Postgres query function (Neon's `sql.query` fits). */
export interface PostgresQuery {
  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
}

export interface AuditSyncReport {
  copied: number;
  position: number;
  more: boolean;
}

export async function syncAuditLogs(
  pg: PostgresQuery,
  runner: ClickHouseRunner,
  database: string,
  mark: Watermark | undefined,
  options: { batchSize: number; maxBatches: number; settleMs: number },
): Promise<AuditSyncReport> {
  const [stored] = await runner.query<{ id: string }>(`SELECT toString(max(audit_id)) AS id FROM ${database}.audit_events`);
  let position = Math.max(mark?.position ?? 0, Number(stored?.id ?? 0));
  let copied = 0;
  for (let batch = 0; batch < options.maxBatches; batch++) {
    // ORDER BY the column, not the `id` alias: the alias is text and would sort "10" before "2".
    const rows = await pg.query(
      `SELECT id::text AS id, (extract(epoch from occurred_at) * 1000)::bigint::text AS ms, coalesce(user_id, 0)::text AS user_id, action, resource
       FROM audit_logs
       WHERE id > $1 AND occurred_at < now() - make_interval(secs => $2)
       ORDER BY audit_logs.id LIMIT $3`,
      [String(position), options.settleMs / 1000, options.batchSize],
    );
    if (rows.length === 0) return { copied, position, more: false };
    const events: AuditEventRow[] = rows.map((row) => ({
      ts: Number(row.ms),
      audit_id: Number(row.id),
      user_id: Number(row.user_id),
      action: String(row.action),
      resource: String(row.resource),
    }));
    await runner.insert(`${database}.audit_events`, events);
    position = events[events.length - 1]!.audit_id;
    copied += events.length;
    await writeWatermark(runner, database, { name: AUDIT_SYNC, liveFrom: 0, backfilledUntil: 0, complete: false, position });
    if (rows.length < options.batchSize) return { copied, position, more: false };
  }
  return { copied, position, more: true };
}
