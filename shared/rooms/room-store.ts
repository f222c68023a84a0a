/**
 * What a room keeps beyond memory, so a hibernated, evicted or restarted room still
 * knows what each connection missed: a bounded message history and one record per
 * connection id. The Durable Object keeps both in its SQLite storage
 * (rooms/sqlite-room-store.ts); unit tests use a Map-backed fake.
 *
 * Every call is synchronous: a room's storage is local to the object, and a room must
 * never interleave a resume's replay with new messages.
 */

/** One message as every visible recipient received it (`body` is the serialized message, with its `id`). */
export interface HistoryEntry {
  /** Room-wide, increasing, never reused. */
  id: number;
  /** Unix ms when it was published. */
  at: number;
  /** The connection that sent it (never replayed to itself); null: the server. */
  sender: string | null;
  /** Only these connections see it; null: everyone. */
  to: readonly string[] | null;
  body: string;
}

/** Where a connection id stood when it was last accepted or left. */
export interface ConnectionRecord {
  id: string;
  /** The resume key handed out in its hello: proof that a later connection with this id is the same client. */
  key: string;
  /** The first history id it could see (the room's last id when it joined, plus one). */
  firstId: number;
  /**
   * Its next sequence number, and the last history id sent to it, when it left (or
   * when it connected, while open). nextSeq 0: unknown (the socket went away with an
   * evicted object, unseen).
   */
  nextSeq: number;
  sentId: number;
  /** Unix ms it left; null while its socket is open. */
  leftAt: number | null;
}

export interface RoomStore {
  /** The id the next appended entry gets. */
  nextId(): number;
  append(entry: HistoryEntry): void;
  /** Smallest id still held (nextId() when empty). */
  oldestId(): number;
  /** Entries with id > `afterId`, ascending. */
  since(afterId: number): HistoryEntry[];
  /** Keep at most `maxCount` newest entries and none older than `minAt` (the newest always stays: it carries the id counter). */
  prune(maxCount: number, minAt: number): void;
  record(id: string): ConnectionRecord | undefined;
  saveRecord(record: ConnectionRecord): void;
  /** Records left since `minLeftAt`, optionally only these ids. */
  countLeft(minLeftAt: number, ids?: readonly string[]): number;
  /** Forget records that left before `minLeftAt`; mark open records whose socket is gone (not in `live`) as left `now`. */
  pruneRecords(minLeftAt: number, live: ReadonlySet<string>, now: number): void;
}

/** Whether connection `id` may see `entry`. */
export function visibleTo(entry: Pick<HistoryEntry, "sender" | "to">, id: string): boolean {
  return entry.sender !== id && (entry.to === null || entry.to.includes(id));
}
