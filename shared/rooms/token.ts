/**
 * Room connection tokens: short-lived, HMAC-SHA256 signed, bound to one party and
 * room (and optionally one connection id). The Worker issues them; the room checks
 * them before it accepts a WebSocket. Web Crypto only, so the same code runs in the
 * Worker, the PartyKit runtime and Node.
 *
 * Format: `rt1.<base64url(JSON payload)>.<base64url(HMAC of "rt1.<payload>")>`,
 * payload `{"p": party, "r": room, "exp": unix seconds, "c"?: connection id}`.
 *
 * @example
 * const token = await signRoomToken(secret, { party: "main", room: "agent-42", ttlSeconds: 300 });
 * await verifyRoomToken(secret, token, { party: "main", room: "agent-42" }); // payload, or throws RoomTokenError
 */

const PREFIX = "rt1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type RoomTokenErrorCode =
  | "token_missing"
  | "token_malformed"
  | "token_bad_signature"
  | "token_expired"
  | "token_wrong_room"
  | "token_wrong_connection";

/** Why a token was refused; `code` is stable and safe to show the client. */
export class RoomTokenError extends Error {
  readonly code: RoomTokenErrorCode;
  constructor(code: RoomTokenErrorCode, message: string) {
    super(message);
    this.name = "RoomTokenError";
    this.code = code;
  }
}

export interface RoomTokenClaims {
  party: string;
  room: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** The only connection id allowed to use the token, when set. */
  connectionId?: string;
}

export interface SignOptions {
  party: string;
  room: string;
  ttlSeconds: number;
  connectionId?: string;
  /** Unix ms; injected by tests. */
  now?: number;
}

export interface VerifyExpectation {
  party: string;
  room: string;
  /** The connecting id; checked when the token names one. */
  connectionId?: string;
  now?: number;
}

const keys = new Map<string, Promise<CryptoKey>>();

/** One imported key per secret: importKey costs more than the HMAC itself. */
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    if (keys.size > 8) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new RoomTokenError("token_malformed", "token is not base64url");
  let binary: string;
  try {
    binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  } catch {
    // A length of 4n+1 is not base64 at all; atob throws a DOMException the caller would not expect.
    throw new RoomTokenError("token_malformed", "token is not base64url");
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Issue a token. */
export async function signRoomToken(secret: string, options: SignOptions): Promise<string> {
  const exp = Math.floor((options.now ?? Date.now()) / 1000) + options.ttlSeconds;
  const payload: Record<string, string | number> = { p: options.party, r: options.room, exp };
  if (options.connectionId !== undefined) payload.c = options.connectionId;
  const body = `${PREFIX}.${base64url(encoder.encode(JSON.stringify(payload)))}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(body));
  return `${body}.${base64url(new Uint8Array(signature))}`;
}

function parseClaims(bytes: Uint8Array): RoomTokenClaims {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new RoomTokenError("token_malformed", "token payload is not JSON");
  }
  const { p, r, exp, c } = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  if (typeof p !== "string" || typeof r !== "string" || typeof exp !== "number" || !Number.isFinite(exp)) {
    throw new RoomTokenError("token_malformed", "token payload lacks party, room or expiry");
  }
  if (c !== undefined && typeof c !== "string") throw new RoomTokenError("token_malformed", "token connection id is not a string");
  return c === undefined ? { party: p, room: r, exp } : { party: p, room: r, exp, connectionId: c };
}

/**
 * Check a token's signature (constant time, by Web Crypto), expiry and binding.
 * Returns its claims; throws RoomTokenError naming the first thing wrong.
 */
export async function verifyRoomToken(secret: string, token: string | null | undefined, expect: VerifyExpectation): Promise<RoomTokenClaims> {
  if (token === null || token === undefined || token === "") throw new RoomTokenError("token_missing", "a room token is required");
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) throw new RoomTokenError("token_malformed", "token is not a room token");
  const [, payload, signature] = parts as [string, string, string];
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), fromBase64url(signature), encoder.encode(`${PREFIX}.${payload}`));
  if (!valid) throw new RoomTokenError("token_bad_signature", "token signature does not match");
  const claims = parseClaims(fromBase64url(payload));
  if (claims.exp * 1000 <= (expect.now ?? Date.now())) throw new RoomTokenError("token_expired", "token has expired");
  if (claims.party !== expect.party || claims.room !== expect.room) {
    throw new RoomTokenError("token_wrong_room", "token was issued for another room");
  }
  if (claims.connectionId !== undefined && claims.connectionId !== expect.connectionId) {
    throw new RoomTokenError("token_wrong_connection", "token was issued for another connection");
  }
  return claims;
}

/** Compare two secrets without an early exit (the length still shows; secrets have a fixed one). */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
