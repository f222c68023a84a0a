/** A Map-backed RoomStore with the SQLite store's semantics (rooms/sqlite-room-store.ts), for unit tests of the room core. */
import type { ConnectionRecord, HistoryEntry, RoomStore } from "../../shared/rooms/room-store.ts";

export class MemoryRoomStore implements RoomStore {
  readonly entries: HistoryEntry[] = [];
  readonly records = new Map<string, ConnectionRecord>();
  private next = 1;

  nextId(): number {
    return this.next;
  }
  append(entry: HistoryEntry): void {
    this.entries.push(entry);
    this.next = entry.id + 1;
  }
  oldestId(): number {
    return this.entries[0]?.id ?? this.next;
  }
  since(afterId: number): HistoryEntry[] {
    return this.entries.filter((e) => e.id > afterId);
  }
  prune(maxCount: number, minAt: number): void {
    const newest = this.next - 1;
    const keep = this.entries.filter((e) => e.id === newest || (e.id > newest - maxCount && e.at >= minAt));
    this.entries.splice(0, this.entries.length, ...keep);
  }
  record(id: string): ConnectionRecord | undefined {
    const record = this.records.get(id);
    return record && { ...record };
  }
  saveRecord(record: ConnectionRecord): void {
    this.records.set(record.id, { ...record });
  }
  countLeft(minLeftAt: number, ids?: readonly string[]): number {
    return [...this.records.values()].filter((r) => r.leftAt !== null && r.leftAt >= minLeftAt && (ids === undefined || ids.includes(r.id))).length;
  }
  pruneRecords(minLeftAt: number, live: ReadonlySet<string>, now: number): void {
    for (const [id, r] of this.records) {
      if (r.leftAt !== null && r.leftAt < minLeftAt) this.records.delete(id);
      else if (r.leftAt === null && !live.has(id)) this.records.set(id, { ...r, leftAt: now, nextSeq: 0 });
    }
  }
}
