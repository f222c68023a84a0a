/**
 * The Worker entry: rooms (/parties/...) through their Durable Objects, every other
 * request through the Hono app, cron triggers through the dispatcher. One Worker,
 * one `wrangler deploy`: it also exports the rooms' Durable Object class.
 */
import { isRoomUrl } from "../rooms/http.ts";
import { routeRoomRequest } from "../rooms/route.ts";
import { createApp } from "./app.ts";
import { handleScheduled } from "./cron/scheduled.ts";
import { devDrain } from "./dev-drain.ts";
import type { Env } from "./env.ts";

export { MainRoom } from "../rooms/main-room.ts";

const app = createApp();

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext) {
    // Rooms first by a string test: an API call pays neither a URL parse nor an await here.
    if (isRoomUrl(request.url)) return (await routeRoomRequest(request, env)) ?? app.fetch(request, env, ctx);
    return devDrain(request, env) ?? app.fetch(request, env, ctx);
  },
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
