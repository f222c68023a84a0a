/**
 * What L2 stores under a key: the encoded value with the tag versions it was
 * loaded under and its freshness window, so an isolate that fills its L1 from
 * L2 knows exactly how fresh the value is and whether a write superseded it.
 */
import { CodecError, decode, encode } from "./codec.ts";

export interface Envelope {
  tags: readonly string[];
  versions: readonly number[];
  storedAt: number;
  freshUntil: number;
  staleUntil: number;
  value: unknown;
}

const FORMAT = 1;

/** A compact array, not an object: the envelope is paid for on every L2 byte. */
export function encodeEnvelope(envelope: Envelope): string {
  const { tags, versions, storedAt, freshUntil, staleUntil, value } = envelope;
  return encode([FORMAT, tags, versions, storedAt, freshUntil, staleUntil, value]);
}

const isNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** Throws CodecError when text is not an envelope this version wrote (another deploy's format, corruption). */
export function decodeEnvelope(text: string): Envelope {
  const parsed = decode(text);
  if (!Array.isArray(parsed) || parsed.length !== 7 || parsed[0] !== FORMAT) throw new CodecError("not a cache envelope");
  const [, tags, versions, storedAt, freshUntil, staleUntil, value] = parsed as unknown[];
  if (
    !Array.isArray(tags) ||
    !tags.every((t) => typeof t === "string") ||
    !Array.isArray(versions) ||
    versions.length !== tags.length ||
    !versions.every(isNumber) ||
    !isNumber(storedAt) ||
    !isNumber(freshUntil) ||
    !isNumber(staleUntil)
  ) {
    throw new CodecError("malformed cache envelope");
  }
  return { tags: tags as string[], versions: versions as number[], storedAt, freshUntil, staleUntil, value };
}
