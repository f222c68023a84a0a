import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connectRoom } from "../../shared/rooms/client.ts";

/** A WebSocket that never touches the network: the test opens and drops it by hand. */
class FakeSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static made: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  binaryType = "blob";
  constructor(readonly url: string) {
    super();
    FakeSocket.made.push(this);
  }
  send(): void {}
  close(): void {
    this.readyState = FakeSocket.CLOSED;
  }
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.dispatchEvent(new Event("open"));
  }
  hello(): void {
    const hello = { type: "hello", connectionId: "c1", room: "r", party: "main", resumed: false, recovery: "new", resumeKey: "k1", settings: {} };
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify({ v: 1, s: 1, m: [hello] }) }));
  }
  /** The network went away under an open socket. */
  drop(): void {
    this.readyState = FakeSocket.CLOSED;
    const event = new Event("close") as Event & { code: number; reason: string; wasClean: boolean };
    Object.assign(event, { code: 1006, reason: "", wasClean: false });
    this.dispatchEvent(event);
  }
}

/** Let the socket's promise chain (token, url) run at the current fake time. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("room client reconnects", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.made = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("asks to resume within a quarter second of a drop, not after partysocket's 3 s", async () => {
    const client = connectRoom({ host: "127.0.0.1:1", room: "r", id: "c1", token: "t", WebSocket: FakeSocket, onMessage: () => undefined });
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    expect(FakeSocket.made).toHaveLength(1);
    FakeSocket.made[0]!.open();
    FakeSocket.made[0]!.hello();
    // A healthy connection that has been up a while, then the network drops it.
    await vi.advanceTimersByTimeAsync(6_000);
    FakeSocket.made[0]!.drop();
    await vi.advanceTimersByTimeAsync(250);
    await settle();
    expect(FakeSocket.made).toHaveLength(2);
    // ...and it resumes: the new socket carries the key and the position it had.
    const url = new URL(FakeSocket.made[1]!.url);
    expect(url.searchParams.get("key")).toBe("k1");
    expect(url.searchParams.get("resume")).toBe("1.0");
    client.close();
  });

  it("a socket that was up a second counts as a success: the next drop is retried at once again", async () => {
    const client = connectRoom({ host: "127.0.0.1:1", room: "r", id: "c1", token: "t", WebSocket: FakeSocket, onMessage: () => undefined });
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    for (let round = 1; round <= 4; round++) {
      FakeSocket.made[round - 1]!.open();
      FakeSocket.made[round - 1]!.hello();
      await vi.advanceTimersByTimeAsync(1_500);
      FakeSocket.made[round - 1]!.drop();
      await vi.advanceTimersByTimeAsync(250);
      await settle();
      expect(FakeSocket.made).toHaveLength(round + 1);
    }
    client.close();
  });

  it("failed attempts still back off (x2, from the first delay)", async () => {
    vi.spyOn(Math, "random").mockReturnValue(1);
    const client = connectRoom({ host: "127.0.0.1:1", room: "r", id: "c1", token: "t", WebSocket: FakeSocket, onMessage: () => undefined });
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    FakeSocket.made[0]!.open();
    await vi.advanceTimersByTimeAsync(2_000);
    FakeSocket.made[0]!.drop();
    await vi.advanceTimersByTimeAsync(250);
    await settle();
    expect(FakeSocket.made).toHaveLength(2);
    // That attempt fails before it opens: the next waits twice as long.
    FakeSocket.made[1]!.drop();
    await vi.advanceTimersByTimeAsync(400);
    await settle();
    expect(FakeSocket.made).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(100);
    await settle();
    expect(FakeSocket.made).toHaveLength(3);
    client.close();
    vi.restoreAllMocks();
  });
});
