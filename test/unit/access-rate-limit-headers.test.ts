import { describe, expect, it } from "vitest";
import { rateLimitHeaders } from "../../functions/middleware/rate-limit.ts";

describe("rateLimitHeaders", () => {
  const now = 1_700_000_000_000;

  it("states limit, remaining, seconds to reset and the policy", () => {
    expect(rateLimitHeaders({ limit: 100, remaining: 42, reset: now + 30_000, windowSeconds: 60 }, now, false)).toEqual({
      "ratelimit-limit": "100",
      "ratelimit-remaining": "42",
      "ratelimit-reset": "30",
      "ratelimit-policy": "100;w=60",
    });
  });

  it("adds Retry-After when refused, rounding up and never below 1 s", () => {
    expect(rateLimitHeaders({ limit: 10, remaining: 0, reset: now + 4_200, windowSeconds: 60 }, now, true)["retry-after"]).toBe("5");
    const atReset = rateLimitHeaders({ limit: 10, remaining: 0, reset: now - 5, windowSeconds: 60 }, now, true);
    expect(atReset["ratelimit-reset"]).toBe("0");
    expect(atReset["retry-after"]).toBe("1");
  });

  it("never reports a negative remaining count", () => {
    expect(rateLimitHeaders({ limit: 5, remaining: -3, reset: now + 1000, windowSeconds: 1 }, now, false)["ratelimit-remaining"]).toBe("0");
  });
});
