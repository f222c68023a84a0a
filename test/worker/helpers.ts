import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../functions/app.ts";
import type { Env } from "../../functions/env.ts";
import type { Dependency } from "../../shared/health/dependency-probes.ts";
import type { HealthReport as Report } from "../../shared/health/index.ts";

export type HealthReport = Report<Dependency>;

/** Sends a request through a fresh app with `overrides` applied to the test env. */
export async function request(
  path: string,
  { overrides = {}, init = {}, app = createApp() }: { overrides?: Partial<Env>; init?: RequestInit; app?: ReturnType<typeof createApp> } = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`http://edge.test${path}`, init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export const DEPENDENCY_NAMES = ["clickhouse", "postgres", "redis", "rooms"];
