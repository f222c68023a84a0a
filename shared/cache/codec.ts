/**
 * Serialisation of cached values: JSON plus what Postgres returns through Neon
 * that JSON loses (Date, bigint, bytea as Uint8Array). Special values become
 * strings with a NUL-led tag; a real string that starts with NUL is escaped the
 * same way, so no string can pass for a tagged value.
 *
 * @example
 * decode(encode({ at: new Date(0), n: 2n ** 64n })); // { at: Date(0), n: 18446744073709551616n }
 */

const TAG = "\u0000";
const DATE = `${TAG}d:`;
const BIGINT = `${TAG}n:`;
const BYTES = `${TAG}b:`;
const STRING = `${TAG}s:`;

/** Raised when a stored string is not a value this codec wrote. */
export class CodecError extends Error {
  readonly code = "cache_codec";
  constructor(message: string) {
    super(message);
    this.name = "CodecError";
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunks keep String.fromCharCode's argument count far below engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// `this[key]` is the value before toJSON ran: a Date arrives as itself, not as its ISO string.
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return DATE + (Number.isNaN(raw.getTime()) ? "NaN" : raw.toISOString());
  if (typeof raw === "bigint") return BIGINT + raw.toString();
  if (raw instanceof Uint8Array) return BYTES + bytesToBase64(raw);
  if (typeof value === "string" && value.startsWith(TAG)) return STRING + value;
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== "string" || !value.startsWith(TAG)) return value;
  const body = value.slice(3);
  switch (value.slice(0, 3)) {
    case DATE:
      return new Date(body === "NaN" ? Number.NaN : body);
    case BIGINT:
      return BigInt(body);
    case BYTES:
      return base64ToBytes(body);
    case STRING:
      return body;
    default:
      throw new CodecError("unknown tagged value in cached payload");
  }
}

/** The value as a string. Throws TypeError for what JSON cannot hold (cycles); Maps and Sets are not supported. */
export function encode(value: unknown): string {
  const json = JSON.stringify(value, replacer);
  // JSON.stringify(undefined) is undefined: store it as null rather than fail later.
  return json === undefined ? "null" : json;
}

/** The value encode() was given (Uint8Array subclasses such as Buffer come back as Uint8Array). */
export function decode(text: string): unknown {
  try {
    return JSON.parse(text, reviver);
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError("cached payload is not valid JSON");
  }
}

/** UTF-8 length of a string without allocating its bytes (used on set, never on a hit). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Freezes plain objects and arrays, recursively, so a caller cannot change a
 * value other requests share from L1. Dates and typed arrays cannot be frozen
 * (their contents live in internal slots) and are left as they are.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}
