/**
 * API keys: `nk_<keyId>_<secret>`. The key id is public (the lookup key in
 * api_keys); only the SHA-256 (hex) of the secret is stored, and hashes are
 * compared in constant time. Web Crypto only, so this runs in Workers and Node.
 *
 * @example
 * const key = await generateApiKey();
 * parseApiToken(key.token); // { keyId: key.keyId, secret: key.secret }
 * timingSafeEqualHex(await sha256Hex(key.secret), key.secretHash); // true
 */

export const SCOPES = ["read", "write", "ops", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** admin implies every scope; the others grant only themselves. */
export function scopeGrants(held: readonly Scope[], needed: Scope): boolean {
  return held.includes("admin") || held.includes(needed);
}

export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && (SCOPES as readonly string[]).includes(value);
}

const TOKEN_PREFIX = "nk_";
const KEY_ID_BYTES = 8;
const SECRET_BYTES = 32;
/** 16 lower-case hex chars, then 43 base64url chars (32 bytes, unpadded). */
const TOKEN_PATTERN = /^nk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiToken {
  keyId: string;
  secret: string;
}

/** The key id and secret of a well-formed token; undefined for anything else. */
export function parseApiToken(token: string): ParsedApiToken | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (match === null) return undefined;
  return { keyId: match[1]!, secret: match[2]! };
}

export interface GeneratedApiKey extends ParsedApiToken {
  token: string;
  secretHash: string;
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A new random key; the token is shown to its owner once and never stored. */
export async function generateApiKey(): Promise<GeneratedApiKey> {
  const keyId = hex(crypto.getRandomValues(new Uint8Array(KEY_ID_BYTES)));
  const secret = base64url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
  return { keyId, secret, token: `${TOKEN_PREFIX}${keyId}_${secret}`, secretHash: await sha256Hex(secret) };
}

const BEARER = /^Bearer[ \t]+([!-~]{1,512})[ \t]*$/i;

/**
 * The credential of an `Authorization: Bearer <token>` header value, or undefined
 * when the header is absent or not a bearer credential of printable ASCII.
 *
 * @example
 * bearerToken("Bearer nk_3f9a0c1d2b4e5f60_s3cret"); // "nk_3f9a0c1d2b4e5f60_s3cret"
 */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/** SHA-256 of the UTF-8 text, lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return hex(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their length. Callers compare
 * fixed-length digests, so the early length check reveals nothing secret.
 */
export function timingSafeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
