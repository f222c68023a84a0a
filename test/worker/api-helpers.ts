/** Calls into the Worker's API inside workerd, against the throwaway database of api-global-setup.ts. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import type { Env } from "../../functions/env.ts";
import worker from "../../functions/index.ts";

export const ADMIN_KEY = env.API_ADMIN_KEY!;

/** The env every API test uses: the shared bindings with the throwaway database. */
export function apiEnv(overrides: Partial<Env> = {}): Env {
  return { ...env, DATABASE_URL: inject("apiDatabaseUrl"), ...overrides };
}

export interface CallOptions {
  method?: string;
  key?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
  env?: Env;
}

export async function call(path: string, { method = "GET", key = ADMIN_KEY, body, headers = {}, env: e = apiEnv() }: CallOptions = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (key !== null) (init.headers as Record<string, string>).authorization = `Bearer ${key}`;
  if (body !== undefined) {
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://edge.test${path}`, init), e, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, headers: response.headers, json: json as Record<string, unknown> & { items?: Record<string, unknown>[] } };
}

let counter = 0;
/** A unique email per call, so tests never collide (also across runs). */
export function uniqueEmail(tag = "u"): string {
  return `${tag}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.test`;
}

export async function createUser(fields: Record<string, unknown> = {}, options: CallOptions = {}) {
  const res = await call("/v1/users", { method: "POST", body: { email: uniqueEmail(), planTier: "pro", role: "member", ...fields }, ...options });
  if (res.status !== 201) throw new Error(`create user: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as { id: string; email: string; displayName: string | null; planTier: string; role: string };
}

export async function createKey(scopes: string[]): Promise<string> {
  const res = await call("/v1/admin/keys", { method: "POST", body: { name: "test", scopes } });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(res.json)}`);
  return String(res.json.token);
}
