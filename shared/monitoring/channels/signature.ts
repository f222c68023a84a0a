/**
 * Webhook signatures: HMAC-SHA256 over `${timestamp}.${body}` (the timestamp in
 * the signed text stops a captured request from being replayed later), sent as
 * `x-netra-signature: v1=<hex>` next to `x-netra-timestamp: <unix seconds>`.
 *
 * @example
 * // receiver
 * const ok = await verifyWebhookSignature({ secret, body: rawBody, timestamp: req.headers["x-netra-timestamp"], signature: req.headers["x-netra-signature"] });
 */
export const SIGNATURE_HEADER = "x-netra-signature";
export const TIMESTAMP_HEADER = "x-netra-timestamp";
const VERSION = "v1=";

const encoder = new TextEncoder();

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function toHex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined;
  const bytes = new Uint8Array(new ArrayBuffer(hex.length / 2));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The signature header value for this body at this timestamp (unix seconds). */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), encoder.encode(`${timestamp}.${body}`));
  return `${VERSION}${toHex(mac)}`;
}

export interface VerifyInput {
  secret: string;
  body: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  /** Unix seconds; now by default. */
  now?: number;
  /** Reject timestamps further than this from now (replay window). */
  toleranceSeconds?: number;
}

/** True when the signature matches and the timestamp is fresh; comparison is constant-time (HMAC verify). */
export async function verifyWebhookSignature({ secret, body, timestamp, signature, now = Math.floor(Date.now() / 1000), toleranceSeconds = 300 }: VerifyInput): Promise<boolean> {
  if (!timestamp || !signature || !signature.startsWith(VERSION) || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds) return false;
  const mac = fromHex(signature.slice(VERSION.length));
  if (mac === undefined) return false;
  return crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), mac, encoder.encode(`${timestamp}.${body}`));
}
