/**
 * Raw requests for the worker fuzz tests (any method, headers, body bytes; no
 * defaults filled in) and the invariant every answer must keep: never a 5xx, and a
 * 4xx is problem+json with a stable `code`.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { inject } from "vitest";
import type { Env } from "../../functions/env.ts";
import worker from "../../functions/index.ts";
import { asciiHeader } from "../unit/fuzz-arbitraries.ts";
import { ADMIN_KEY, apiEnv } from "./api-helpers.ts";

/** The env of the fuzz tests' own database (fuzz-global-setup.ts). */
export function fuzzEnv(overrides: Partial<Env> = {}): Env {
  return apiEnv({ DATABASE_URL: inject("fuzzDatabaseUrl"), ...overrides });
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer> | FormData;
  /** Default: the admin key as a Bearer token; null: no Authorization header. */
  key?: string | null;
  env?: Env;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
  request: string;
}

/**
 * Headers the runtime accepts: values as printable ASCII (non-ASCII percent-encoded,
 * so workerd does not warn on every request); a value it still refuses would fail
 * before reaching the Worker, so it is left out.
 */
export function safeHeaders(headers: Record<string, string>): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    try {
      out.set(name, asciiHeader(value));
    } catch {
      // not sendable over HTTP at all
    }
  }
  return out;
}

export async function raw({ method = "GET", path, headers = {}, body, key = ADMIN_KEY, env = fuzzEnv() }: RawRequest): Promise<RawAnswer> {
  const h = safeHeaders(headers);
  if (key !== null && !h.has("authorization")) h.set("authorization", `Bearer ${key}`);
  const init: RequestInit = { method, headers: h };
  if (body !== undefined && method !== "GET" && method !== "HEAD") init.body = body;
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://edge.test${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    json = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, request: `${method} ${path}` };
}

/** Routes that answer HTML (the dashboard's pages): their errors are pages, not problem+json. */
const HTML_ROUTES = /^\/dashboard(?:\/login|\/logout)?\/?(?:\?|$)/;

/**
 * The invariant of every answer: no 5xx (the local stack is up, so no dependency
 * is down), and a 4xx is problem+json whose `code` and `status` are set. Throws with
 * the request and body so fast-check reports a readable counterexample.
 */
export function expectWellFormed(answer: RawAnswer, path: string, method = "GET"): void {
  const where = `${answer.request} -> ${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status >= 500) throw new Error(`5xx: ${where}`);
  if (answer.status < 400 || method === "HEAD" || HTML_ROUTES.test(path)) return;
  if (answer.headers.get("content-type") !== "application/problem+json") throw new Error(`not problem+json: ${where}`);
  const code = answer.json?.code;
  if (typeof code !== "string" || !/^[a-z][a-z0-9_]*$/.test(code)) throw new Error(`no code: ${where}`);
  if (answer.json?.status !== answer.status) throw new Error(`status mismatch: ${where}`);
}
