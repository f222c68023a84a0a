/**
 * The room's history and connection records in the Durable Object's SQLite storage
 * (shared/rooms/room-store.ts says what they are for). Writes are synchronous and
 * local to the object; the runtime persists them with the object's output gate, so a
 * message is in the history before any frame that carries it leaves.
 */
import type { ConnectionRecord, HistoryEntry, RoomStore } from "../shared/rooms/room-store.ts";

const SCHEMA = [
  // AUTOINCREMENT is not needed: prune() always keeps the newest row, so max(id) never goes back.
  `CREATE TABLE IF NOT EXISTS room_history (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, sender TEXT, recipients TEXT, body TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS room_history_at ON room_history (at)`,
  `CREATE TABLE IF NOT EXISTS room_connections (id TEXT PRIMARY KEY, key TEXT NOT NULL, first_id INTEGER NOT NULL, next_seq INTEGER NOT NULL, sent_id INTEGER NOT NULL, left_at INTEGER)`,
];

type Row = Record<string, SqlStorageValue>;

export class SqliteRoomStore implements RoomStore {
  private next: number;

  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
    const row = sql.exec<{ last: number | null }>("SELECT max(id) AS last FROM room_history").one();
    this.next = (row.last ?? 0) + 1;
  }

  nextId(): number {
    return this.next;
  }

  append(entry: HistoryEntry): void {
    this.sql.exec(
      "INSERT INTO room_history (id, at, sender, recipients, body) VALUES (?, ?, ?, ?, ?)",
      entry.id,
      entry.at,
      entry.sender,
      entry.to === null ? null : JSON.stringify(entry.to),
      entry.body,
    );
    this.next = entry.id + 1;
  }

  oldestId(): number {
    const row = this.sql.exec<{ first: number | null }>("SELECT min(id) AS first FROM room_history").one();
    return row.first ?? this.next;
  }

  since(afterId: number): HistoryEntry[] {
    return this.sql
      .exec<Row>("SELECT id, at, sender, recipients, body FROM room_history WHERE id > ? ORDER BY id", afterId)
      .toArray()
      .map((row) => ({
        id: row.id as number,
        at: row.at as number,
        sender: row.sender as string | null,
        to: row.recipients === null ? null : (JSON.parse(row.recipients as string) as string[]),
        body: row.body as string,
      }));
  }

  prune(maxCount: number, minAt: number): void {
    const newest = this.next - 1;
    this.sql.exec("DELETE FROM room_history WHERE id < ? AND (id <= ? OR at < ?)", newest, newest - maxCount, minAt);
  }

  record(id: string): ConnectionRecord | undefined {
    const rows = this.sql.exec<Row>("SELECT id, key, first_id, next_seq, sent_id, left_at FROM room_connections WHERE id = ?", id).toArray();
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      id: row.id as string,
      key: row.key as string,
      firstId: row.first_id as number,
      nextSeq: row.next_seq as number,
      sentId: row.sent_id as number,
      leftAt: row.left_at as number | null,
    };
  }

  saveRecord(record: ConnectionRecord): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO room_connections (id, key, first_id, next_seq, sent_id, left_at) VALUES (?, ?, ?, ?, ?, ?)",
      record.id,
      record.key,
      record.firstId,
      record.nextSeq,
      record.sentId,
      record.leftAt,
    );
  }

  countLeft(minLeftAt: number, ids?: readonly string[]): number {
    if (ids === undefined) {
      return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM room_connections WHERE left_at >= ?", minLeftAt).one().n;
    }
    return this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM room_connections WHERE left_at >= ? AND id IN (SELECT value FROM json_each(?))", minLeftAt, JSON.stringify(ids))
      .one().n;
  }

  pruneRecords(minLeftAt: number, live: ReadonlySet<string>, now: number): void {
    this.sql.exec("DELETE FROM room_connections WHERE left_at IS NOT NULL AND left_at < ?", minLeftAt);
    // Open records whose socket is gone (the object was evicted with them open) now count as
    // left, at a position nobody saw (next_seq 0): only the client's own claim can say where it was.
    this.sql.exec(
      "UPDATE room_connections SET left_at = ?, next_seq = 0 WHERE left_at IS NULL AND id NOT IN (SELECT value FROM json_each(?))",
      now,
      JSON.stringify([...live]),
    );
  }
}
