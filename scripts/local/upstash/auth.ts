/**
 * Bearer-token check. Digests are compared, not the raw strings, so the
 * comparison takes the same time whatever the length or content of a guess.
 */
import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Pulls the token from `Authorization: Bearer <token>`; `undefined` when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * A checker bound to the expected token.
 *
 * @example
 * const isAuthorized = tokenChecker("secret");
 * isAuthorized(bearerToken(req.headers.authorization)); // true or false
 */
export function tokenChecker(expected: string): (presented: string | undefined) => boolean {
  if (expected === "") throw new Error("the endpoint token must not be empty");
  const expectedDigest = digest(expected);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), expectedDigest);
}
