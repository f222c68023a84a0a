/**
 * The Lua scripts that keep alert state consistent across isolates and
 * overlapping cron runs. Each runs atomically inside Redis (EVALSHA, falling
 * back to EVAL on NOSCRIPT).
 */

/**
 * Compare-and-set of one rule's state: applies only if the stored version is the
 * one the caller read AND the tick moves forward, so two evaluations of the same
 * minute can never both win (and both notify). The history entry is pushed in the
 * same step, so it exists exactly when the transition does.
 * KEYS: state hash, history list. ARGV: expected version, tick, state JSON, ttl s, event JSON or "", history limit.
 * Returns 1 when applied, 0 on a conflict.
 */
export const COMMIT_SCRIPT = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if version ~= tonumber(ARGV[1]) then return 0 end
local tick = tonumber(redis.call('HGET', KEYS[1], 'tick') or '-1')
if tick >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'version', tostring(version + 1), 'tick', ARGV[2], 'state', ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[2], ARGV[5])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
end
return 1
`;

/** Version and state JSON of each key in KEYS, in order (false for a missing key). */
export const LOAD_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'version', 'state')
  out[i] = { v[1] or '0', v[2] or '' }
end
return out
`;

/** The newest ARGV[1] history entries of KEYS[1]. */
export const HISTORY_SCRIPT = `return redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)`;
