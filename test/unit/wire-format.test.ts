import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, WireFormatError } from "../../shared/batching/wire.ts";
import { FrameReader } from "../../shared/batching/wire-reader.ts";

describe("frame encoding", () => {
  it("round-trips any JSON messages with their seq and drop count", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(1000), (messages, seq, dropped) => {
        const frame = decodeFrame(encodeFrame(seq, messages.map((m) => JSON.stringify(m)), dropped));
        expect(frame).toEqual({ version: 1, seq, dropped, messages: JSON.parse(JSON.stringify(messages)) });
      }),
    );
  });

  it("costs a single message only the small envelope", () => {
    const body = JSON.stringify({ type: "event", name: "agent.state", data: { step: 3 } });
    const frame = encodeFrame(12345, [body]);
    expect(frame).toBe(`{"v":1,"s":12345,"m":[${body}]}`);
    expect(frame.length - body.length).toBeLessThanOrEqual(24);
  });

  it("omits the drop count when nothing was dropped", () => {
    expect(encodeFrame(1, ["1"])).not.toContain('"d"');
    expect(encodeFrame(1, ["1"], 2)).toContain('"d":2');
  });

  it.each([
    ["not json", "wire_malformed"],
    ["[1,2]", "wire_malformed"],
    ['{"v":2,"s":1,"m":[1]}', "wire_version"],
    ['{"v":1,"s":0,"m":[1]}', "wire_malformed"],
    ['{"v":1,"s":1.5,"m":[1]}', "wire_malformed"],
    ['{"v":1,"s":1,"m":[]}', "wire_malformed"],
    ['{"v":1,"s":1,"d":-1,"m":[1]}', "wire_malformed"],
    ['{"v":1,"s":1}', "wire_malformed"],
  ])("rejects %s with %s", (text, code) => {
    expect(() => decodeFrame(text)).toThrow(WireFormatError);
    try {
      decodeFrame(text);
    } catch (error) {
      expect((error as WireFormatError).code).toBe(code);
    }
  });
});

describe("frame reader", () => {
  it("hands out messages in order with consecutive seqs and no gaps", () => {
    const reader = new FrameReader();
    const a = reader.read(encodeFrame(1, ['"a"', '"b"']));
    const b = reader.read(encodeFrame(3, ['"c"']));
    expect([...a.messages, ...b.messages]).toEqual([
      { seq: 1, message: "a" },
      { seq: 2, message: "b" },
      { seq: 3, message: "c" },
    ]);
    expect([...a.gaps, ...b.gaps]).toEqual([]);
    expect(reader.lastSeq).toBe(3);
  });

  it("reports server drops announced by the frame", () => {
    const reader = new FrameReader();
    reader.read(encodeFrame(1, ['"a"']));
    expect(reader.read(encodeFrame(2, ['"b"'], 4)).gaps).toEqual([{ kind: "dropped", count: 4, beforeSeq: 2 }]);
  });

  it("reports the messages missed across a resumed reconnect", () => {
    const reader = new FrameReader();
    reader.read(encodeFrame(1, ['"a"', '"b"']));
    expect(reader.read(encodeFrame(6, ['"hello"'])).gaps).toEqual([{ kind: "missed", fromSeq: 3, toSeq: 5, count: 3 }]);
  });

  it("reports a reset when the numbering starts over", () => {
    const reader = new FrameReader();
    reader.read(encodeFrame(1, ['"a"', '"b"', '"c"']));
    expect(reader.read(encodeFrame(1, ['"hello"'])).gaps).toEqual([{ kind: "reset", lastSeq: 3, seq: 1 }]);
    expect(reader.lastSeq).toBe(1);
  });
});
