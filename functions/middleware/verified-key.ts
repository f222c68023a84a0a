/**
 * The request's API key, verified once: the rate limiter (to pick the bucket) and
 * requireScope (to decide access) both ask, and share one verification, its failure
 * included (a key store that is down fails both the same way).
 *
 * @example
 * const principal = await verifiedKey(c, token);
 */
import type { Context } from "hono";
import type { Principal } from "../../shared/api/key-verifier.ts";
import type { AppEnv } from "../env.ts";
import { requireServices } from "./services.ts";

export function verifiedKey(c: Context<AppEnv>, token: string): Promise<Principal | undefined> {
  const known = c.get("keyCheck");
  if (known !== undefined && known.token === token) return known.principal;
  const principal = requireServices(c).keys.verify(token);
  c.set("keyCheck", { token, principal });
  return principal;
}
