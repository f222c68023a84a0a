/**
 * Decides when an isolate stamps a key's last_used_at: at most once per interval
 * per key (the UPDATE in key-admin.ts has the same guard across isolates). Bounded:
 * past `maxKeys` the oldest entries go, which at worst costs one extra stamp.
 *
 * @example
 * const usage = createUsageThrottle();
 * if (usage.due(keyId)) ctx.waitUntil(admin.touch(keyId));
 */
export interface UsageThrottleOptions {
  intervalMs?: number;
  maxKeys?: number;
  now?: () => number;
}

export interface UsageThrottle {
  /** True (and remembered) when the key was not stamped within the interval. */
  due(keyId: string): boolean;
}

export function createUsageThrottle({ intervalMs = 60_000, maxKeys = 1000, now = Date.now }: UsageThrottleOptions = {}): UsageThrottle {
  const stamped = new Map<string, number>();
  return {
    due(keyId) {
      const at = now();
      const last = stamped.get(keyId);
      if (last !== undefined && at - last < intervalMs) return false;
      stamped.delete(keyId);
      if (stamped.size >= maxKeys) stamped.delete(stamped.keys().next().value!);
      stamped.set(keyId, at);
      return true;
    },
  };
}
