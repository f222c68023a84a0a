import { describe, expect, it } from "vitest";
import { isRoomUrl } from "../../rooms/http.ts";

describe("isRoomUrl (the Worker's room test for every request)", () => {
  it("agrees with new URL(url).pathname.startsWith('/parties/')", () => {
    const urls = [
      "http://127.0.0.1:8787/parties/main/lobby",
      "https://edge.example.com/parties/main/r?token=x",
      "http://h/parties/",
      "http://h/parties",
      "http://h/partiesx/main/r",
      "http://h/v1/ping",
      "http://h/v1/parties/main/r",
      "http://h/?next=/parties/main/r",
      "http://h/#/parties/main",
      "http://h/",
      "http://parties/v1/ping",
      "http://[::1]:8787/parties/main/r",
    ];
    for (const url of urls) {
      const serialized = new Request(url).url; // what the runtime hands the Worker
      expect(isRoomUrl(serialized), url).toBe(new URL(serialized).pathname.startsWith("/parties/"));
    }
    expect(isRoomUrl("http://h/parties/main/r")).toBe(true);
    expect(isRoomUrl("http://h/v1/users/1")).toBe(false);
  });
});
