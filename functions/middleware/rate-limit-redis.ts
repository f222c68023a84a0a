/**
 * @upstash/ratelimit's scripts start with `#!lua flags=allow-key-locking`, a flag
 * only Upstash knows (it lets Upstash lock just the script's keys). Redis itself
 * (the local stack behind its REST endpoint, or a self-hosted REST proxy such as
 * SRH) rejects the script: "Unexpected flag in script shebang". This wrapper keeps
 * the flag for servers that accept it; on the first rejection it switches to the
 * flagless script and maps each EVALSHA to that script's hash, so the limiter
 * still costs one round trip per check.
 *
 * @example
 * new Ratelimit({ redis: withPortableScripts(upstashRedis(config.redis)), ... });
 */
import type { Redis } from "@upstash/redis/cloudflare";

const UPSTASH_ONLY_FLAG = /^(#!lua[^\n]*?)[ \t]+flags=allow-key-locking/;

export function isUnknownFlagError(error: unknown): boolean {
  return /Unexpected flag in script shebang/i.test(String(error));
}

/** The script without the Upstash-only flag (unchanged when it has none). */
export function portableScript(script: string): string {
  return script.replace(UPSTASH_ONLY_FLAG, "$1");
}

async function sha1Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

type EvalArgs = [keys: string[], args: unknown[]];

export function withPortableScripts(redis: Redis): Redis {
  let portable = false;
  /** The library's script hash -> the hash of the script Redis actually holds. */
  const hashes = new Map<string, string>();

  async function evalScript(script: string, ...rest: EvalArgs): Promise<unknown> {
    if (!portable) {
      try {
        return await redis.eval(script, ...rest);
      } catch (error) {
        if (!isUnknownFlagError(error)) throw error;
        portable = true;
      }
    }
    const plain = portableScript(script);
    if (plain !== script) hashes.set(await sha1Hex(script), await sha1Hex(plain));
    return redis.eval(plain, ...rest);
  }

  function evalSha(sha: string, ...rest: EvalArgs): Promise<unknown> {
    return redis.evalsha(portable ? (hashes.get(sha) ?? sha) : sha, ...rest);
  }

  return new Proxy(redis, {
    get(target, property, receiver) {
      if (property === "eval") return evalScript;
      if (property === "evalsha") return evalSha;
      return Reflect.get(target, property, receiver);
    },
  });
}
