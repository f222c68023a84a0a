import { createHash } from "node:crypto";
import type { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { portableScript, withPortableScripts } from "../../functions/middleware/rate-limit-redis.ts";

const SCRIPT = "#!lua flags=allow-key-locking\n  return redis.call('GET', KEYS[1])\n";
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** A Redis that holds scripts by hash and, like Redis OSS, rejects the Upstash-only flag when `strict`. */
function fakeRedis(strict: boolean) {
  const scripts = new Map<string, string>();
  const calls: string[] = [];
  const redis = {
    async eval(script: string) {
      calls.push("eval");
      if (strict && script.includes("allow-key-locking")) throw new Error("ERR Unexpected flag in script shebang: allow-key-locking");
      scripts.set(sha1(script), script);
      return "ran";
    },
    async evalsha(sha: string) {
      calls.push(`evalsha:${sha.slice(0, 8)}`);
      if (!scripts.has(sha)) throw new Error("NOSCRIPT No matching script");
      return "ran";
    },
    get: async () => "other",
  };
  return { redis: redis as unknown as Redis, calls };
}

describe("portable rate-limit scripts", () => {
  it("drops only the Upstash-only flag", () => {
    expect(portableScript(SCRIPT)).toBe("#!lua\n  return redis.call('GET', KEYS[1])\n");
    expect(portableScript("return 1")).toBe("return 1");
  });

  it("sends scripts unchanged to a server that accepts the flag", async () => {
    const { redis, calls } = fakeRedis(false);
    const wrapped = withPortableScripts(redis);
    await wrapped.eval(SCRIPT, ["k"], []);
    await wrapped.evalsha(sha1(SCRIPT), ["k"], []);
    expect(calls).toEqual(["eval", `evalsha:${sha1(SCRIPT).slice(0, 8)}`]);
  });

  it("falls back to the flagless script once, then maps EVALSHA to its hash (one round trip per call)", async () => {
    const { redis, calls } = fakeRedis(true);
    const wrapped = withPortableScripts(redis);
    expect(await wrapped.eval(SCRIPT, ["k"], [])).toBe("ran");
    expect(await wrapped.evalsha(sha1(SCRIPT), ["k"], [])).toBe("ran");
    expect(calls).toEqual(["eval", "eval", `evalsha:${sha1(portableScript(SCRIPT)).slice(0, 8)}`]);
    expect(await wrapped.get("k")).toBe("other");
  });
});
