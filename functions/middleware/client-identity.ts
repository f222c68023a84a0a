/**
 * Who a request counts against: a verified API key, else its client address.
 *
 * The address comes only from CLIENT_IP_HEADER, a header a trusted proxy sets:
 * `cf-connecting-ip` (default: Cloudflare's edge sets it and replaces any value a
 * client sent), `x-real-ip`, or `x-forwarded-for`, of which only the rightmost
 * entry is used (the one the trusted proxy appended; entries to its left are
 * whatever the client wrote). An IPv6 client is bucketed by its /64, the block one
 * subscriber gets. A request without a usable address counts against one shared
 * "unknown" bucket: failing closed, never trusting a value the client chose.
 *
 * A verified key's last_used_at is stamped at most once a minute per key, in
 * waitUntil (never delaying the answer).
 */
import type { Context } from "hono";
import { bearerToken } from "../../shared/api/api-keys.ts";
import { BOOTSTRAP_KEY_ID } from "../../shared/api/key-verifier.ts";
import type { AppConfig } from "../../shared/config.ts";
import type { AppEnv } from "../env.ts";
import { logError } from "../log.ts";
import type { Services } from "../services.ts";
import { readContext } from "./read-context.ts";
import { verifiedKey } from "./verified-key.ts";

export type Identity = { kind: "key"; keyId: string } | { kind: "ip"; address: string };

export const UNKNOWN_ADDRESS = "unknown";
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9a-f:.]{2,45}$/i;

function ipv4(text: string): string | undefined {
  const match = IPV4.exec(text);
  if (match === null) return undefined;
  const parts = match.slice(1).map(Number);
  return parts.every((n) => n <= 255) ? parts.join(".") : undefined;
}

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(text: string): number[] | undefined {
  if (!IPV6.test(text) || !text.includes(":")) return undefined;
  let address = text;
  const dotted = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (dotted !== null) {
    // A trailing dotted IPv4 (::ffff:192.0.2.1) stands for the last two groups.
    const v4 = ipv4(dotted[1]!);
    if (v4 === undefined) return undefined;
    const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
    address = `${address.slice(0, dotted.index + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => (/^[0-9a-f]{1,4}$/i.test(group) ? parseInt(group, 16) : NaN)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...head, ...tail].some(Number.isNaN)) return undefined;
  const known = head.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...tail];
}

/**
 * The rate-limit bucket of an address: IPv4 as is, IPv6 by its /64 (`2001:db8:0:1::/64`),
 * IPv4-mapped IPv6 as the IPv4 address; undefined for anything that is not an address.
 */
export function addressBucket(text: string): string | undefined {
  const trimmed = text.trim();
  const v4 = ipv4(trimmed);
  if (v4 !== undefined) return v4;
  const groups = ipv6Groups(trimmed);
  if (groups === undefined) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

/** The client's bucket from the one trusted header (see the module comment). */
export function clientAddress(headers: { get(name: string): string | null }, header: AppConfig["access"]["clientIpHeader"]): string {
  const raw = headers.get(header);
  if (raw === null) return UNKNOWN_ADDRESS;
  const value = header === "x-forwarded-for" ? (raw.split(",").map((s) => s.trim()).filter((s) => s !== "").at(-1) ?? "") : raw;
  return addressBucket(value) ?? UNKNOWN_ADDRESS;
}

function stampLastUsed(c: Context<AppEnv>, services: Services, keyId: string): void {
  if (keyId === BOOTSTRAP_KEY_ID || !services.keyUsage.due(keyId)) return;
  const requestId = c.get("requestId");
  const ctx = readContext(c);
  const stamping = services.apiKeys
    .admin(ctx)
    .touch(keyId)
    .catch((error: unknown) => logError("last_used_at update failed", error, { requestId, keyId }));
  if (ctx.waitUntil) ctx.waitUntil(stamping);
}

/**
 * A valid bearer key identifies the request by its key id (and stamps its use);
 * anything else (no key, a wrong key, the key store unreachable) by its address.
 * The route's own requireScope still decides access; this only picks the bucket.
 */
export async function identify(c: Context<AppEnv>, services: Services): Promise<Identity> {
  const token = bearerToken(c.req.header("authorization"));
  if (token !== undefined) {
    try {
      const principal = await verifiedKey(c, token);
      if (principal !== undefined) {
        stampLastUsed(c, services, principal.keyId);
        return { kind: "key", keyId: principal.keyId };
      }
    } catch {
      // The key store is down: the route's requireScope answers 503; count the request by address.
    }
  }
  return { kind: "ip", address: clientAddress(c.req.raw.headers, services.config.access.clientIpHeader) };
}
