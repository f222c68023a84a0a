/**
 * The endpoint's own view of a Redis reply, independent of the driver: strings
 * stay bytes (so binary values survive) and integers stay exact (so a counter
 * past 2^53 reaches the JSON unrounded).
 */
export class CommandError {
  constructor(readonly message: string) {}
}

export type RedisReply = null | bigint | Buffer | CommandError | RedisReply[];

/** What one command produced: a reply, or the error text Redis answered with. */
export type Outcome = { ok: true; reply: RedisReply } | { ok: false; error: string };

export function isBytes(value: unknown): value is Buffer {
  return Buffer.isBuffer(value);
}

/**
 * Converts a driver reply read with bulk and status strings as Buffer and
 * integers as decimal strings (the type mapping in redis-link.ts).
 */
export function toReply(raw: unknown): RedisReply {
  if (raw === null || raw === undefined) return null;
  if (isBytes(raw)) return raw;
  if (typeof raw === "string") {
    if (!/^-?\d+$/.test(raw)) throw new TypeError(`expected an integer reply, got "${raw}"`);
    return BigInt(raw);
  }
  if (typeof raw === "number" && Number.isInteger(raw)) return BigInt(raw);
  if (Array.isArray(raw)) return raw.map(toReply);
  if (raw instanceof Error) return new CommandError(raw.message);
  throw new TypeError(`unexpected reply of type ${typeof raw}`);
}

export function outcomeOf(reply: RedisReply): Outcome {
  return reply instanceof CommandError ? { ok: false, error: reply.message } : { ok: true, reply };
}
