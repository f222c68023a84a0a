/** The log channel: one JSON line per event, so `wrangler tail` and Logpush can filter on it. */
import type { NotificationChannel } from "./types.ts";

export function logChannel({ name = "log", write = (line: string) => console.log(line) }: { name?: string; write?: (line: string) => void } = {}): NotificationChannel {
  return {
    name,
    async send(event) {
      write(JSON.stringify({ level: event.kind === "firing" ? "warn" : "info", message: `alert ${event.kind}`, alert: event }));
    },
  };
}
