import { describe, expect, it } from "vitest";
import { addressBucket, clientAddress, UNKNOWN_ADDRESS } from "../../functions/middleware/client-identity.ts";

const headers = (entries: Record<string, string>) => new Headers(entries);

describe("addressBucket", () => {
  it("keeps IPv4 addresses and normalises leading zeros away", () => {
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket(" 10.0.0.1 ")).toBe("10.0.0.1");
  });

  it("buckets IPv6 by /64 whatever the spelling", () => {
    expect(addressBucket("2001:db8:0:1:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:0:1::/64");
    expect(addressBucket("2001:DB8:0:1::5")).toBe("2001:db8:0:1::/64");
    expect(addressBucket("2001:db8::")).toBe("2001:db8:0:0::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
  });

  it("treats an IPv4-mapped IPv6 address as the IPv4 client", () => {
    expect(addressBucket("::ffff:198.51.100.4")).toBe("198.51.100.4");
    expect(addressBucket("::ffff:c633:6404")).toBe("198.51.100.4");
  });

  it("rejects anything that is not an address", () => {
    for (const bad of ["", "unknown", "256.1.1.1", "1.2.3", "1:2:3", "2001:db8::1::2", "12345::", "g::1", "1.2.3.4:80", "<script>", "a".repeat(100)]) {
      expect(addressBucket(bad), bad).toBeUndefined();
    }
  });
});

describe("clientAddress", () => {
  it("reads only the configured header", () => {
    const h = headers({ "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "198.51.100.1", "x-real-ip": "192.0.2.5" });
    expect(clientAddress(h, "cf-connecting-ip")).toBe("203.0.113.9");
    expect(clientAddress(h, "x-real-ip")).toBe("192.0.2.5");
    expect(clientAddress(headers({ "x-forwarded-for": "198.51.100.1" }), "cf-connecting-ip")).toBe(UNKNOWN_ADDRESS);
  });

  it("takes the rightmost x-forwarded-for entry (the trusted proxy's), not the client-written ones", () => {
    expect(clientAddress(headers({ "x-forwarded-for": "1.1.1.1, 2.2.2.2, 203.0.113.50" }), "x-forwarded-for")).toBe("203.0.113.50");
    expect(clientAddress(headers({ "x-forwarded-for": "1.1.1.1, 203.0.113.50 ," }), "x-forwarded-for")).toBe("203.0.113.50");
  });

  it("puts a missing or garbage address in the shared unknown bucket", () => {
    expect(clientAddress(headers({}), "cf-connecting-ip")).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress(headers({ "cf-connecting-ip": "not-an-ip" }), "cf-connecting-ip")).toBe(UNKNOWN_ADDRESS);
  });
});
