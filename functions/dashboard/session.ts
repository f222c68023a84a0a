/**
 * Dashboard sessions: a person signs in once with an API key that has the "ops"
 * scope; the Worker answers with an HttpOnly, SameSite=Strict cookie holding
 * `base64url(payload).base64url(HMAC-SHA256(payload))`. The key itself is never
 * stored in the browser. The HMAC key is DASHBOARD_SESSION_SECRET, or one derived
 * from API_ADMIN_KEY when that is unset (rotating the admin key then ends every
 * session). A session lasts SESSION_SECONDS; revoking the key ends it at expiry.
 */
import type { AppConfig } from "../../shared/config.ts";
import type { Scope } from "../../shared/api/api-keys.ts";

export const SESSION_COOKIE = "netra_dashboard";
export const SESSION_SECONDS = 8 * 3600;

export interface Session {
  /** The API key id the session was opened with. */
  sub: string;
  scopes: readonly Scope[];
  /** Expiry, unix seconds. */
  exp: number;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = new Uint8Array(new ArrayBuffer(binary.length));
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

const keys = new Map<string, Promise<CryptoKey>>();

/** The signing key, or undefined when neither secret is configured (sessions are then off). */
function sessionKey(config: AppConfig): Promise<CryptoKey> | undefined {
  const secret = config.monitoring.sessionSecret ?? (config.admin.apiKey ? `derived-from-admin-key:${config.admin.apiKey}` : undefined);
  if (secret === undefined) return undefined;
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle
      .digest("SHA-256", encoder.encode(`netra-dashboard-session-v1\u0000${secret}`))
      .then((raw) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));
    keys.set(secret, key);
  }
  return key;
}

export function sessionsEnabled(config: AppConfig): boolean {
  return sessionKey(config) !== undefined;
}

/** The cookie value for a new session. */
export async function issueSession(config: AppConfig, session: Session): Promise<string> {
  const key = sessionKey(config);
  if (key === undefined) throw new Error("dashboard sessions are not configured");
  const payload = base64url(encoder.encode(JSON.stringify(session)));
  const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(payload));
  return `${payload}.${base64url(new Uint8Array(mac))}`;
}

/** The session in a cookie value if its signature holds and it has not expired. */
export async function readSession(config: AppConfig, value: string | undefined, now = Date.now()): Promise<Session | undefined> {
  const key = sessionKey(config);
  if (key === undefined || value === undefined) return undefined;
  const [payload, signature, extra] = value.split(".");
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
  const mac = fromBase64url(signature);
  if (mac === undefined || !(await crypto.subtle.verify("HMAC", await key, mac, encoder.encode(payload)))) return undefined;
  try {
    const bytes = fromBase64url(payload);
    const session = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Session>;
    if (typeof session.sub !== "string" || !Array.isArray(session.scopes) || typeof session.exp !== "number") return undefined;
    return session.exp * 1000 > now ? (session as Session) : undefined;
  } catch {
    return undefined;
  }
}
