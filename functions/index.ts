/** The Worker entry: HTTP through the Hono app, cron triggers through the dispatcher. */
import { createApp } from "./app.ts";
import { handleScheduled } from "./cron/scheduled.ts";
import type { Env } from "./env.ts";

const app = createApp();

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
