/**
 * The Lua scripts behind tag versions (run with EVAL, atomically in Redis).
 *
 * A tag Redis does not hold starts at the server's clock in microseconds
 * (about 1.8e15 today: exact in a double, below 2^53 until the year 2255), not
 * at 0. Versions handed out before Redis forgot a key came from an earlier
 * clock reading plus one per bump, so the restarted counter is above all of
 * them unless one tag was bumped more than a million times a second. The clock
 * is Redis's own (TIME), so isolates' clocks do not matter. Written as a
 * decimal string: tostring() of a large Lua number may use exponent notation,
 * which INCR would refuse.
 */

const FLOOR = "local t = redis.call('TIME') local floor = t[1] .. string.format('%06d', tonumber(t[2]))";

/** KEYS: tag keys; ARGV[1]: seconds each key lives after this bump. Returns the new versions. */
export const BUMP_SCRIPT = `${FLOOR}
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('SET', k, floor, 'NX')
  out[i] = redis.call('INCR', k)
  redis.call('EXPIRE', k, ARGV[1])
end
return out`;

/** KEYS: tag keys; ARGV[1]: seconds a newly seeded key lives. Returns every key's version. */
export const SEED_SCRIPT = `${FLOOR}
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('SET', k, floor, 'NX', 'EX', ARGV[1])
  out[i] = tonumber(redis.call('GET', k))
end
return out`;
