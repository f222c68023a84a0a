/**
 * What a connection has been sent and not yet acknowledged, in bytes: the room's
 * stand-in for the socket's `bufferedAmount`, which workerd does not implement
 * (cloudflare/workerd#988: it always reads 0, so a paused reader was never shed).
 * A client that opts in (`?ack=1`; shared/rooms/client.ts does) acknowledges the
 * sequence numbers it has taken; the batcher defers and then drops for a connection
 * whose unacknowledged bytes pass its high-water mark, exactly as it would for a
 * full socket buffer.
 *
 * @example
 * const window = new FlowWindow();
 * window.sent(12, 4096); // frame ending at seq 12, 4096 bytes
 * window.ack(12);
 * window.unacked; // 0
 */
export class FlowWindow {
  private readonly frames: [endSeq: number, bytes: number][] = [];
  private head = 0;
  unacked = 0;

  /** A frame left: its last sequence number and its size. */
  sent(endSeq: number, bytes: number): void {
    this.frames.push([endSeq, bytes]);
    this.unacked += bytes;
  }

  /** The client has everything up to `seq`. */
  ack(seq: number): void {
    while (this.head < this.frames.length && this.frames[this.head]![0] <= seq) {
      this.unacked -= this.frames[this.head]![1];
      this.head += 1;
    }
    // Compact now and then instead of shifting on every ack.
    if (this.head > 64 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
  }
}
