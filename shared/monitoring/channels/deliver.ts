/** Fan one event out to every channel. */
import type { AlertEvent } from "../events.ts";
import type { DeliveryResult, NotificationChannel } from "./types.ts";

/**
 * Sends to all channels at once and waits for all: a failing or slow channel
 * neither stops nor delays the others. Never rejects.
 *
 * @example
 * const results = await deliver([logChannel(), webhookChannel({ url, secret })], event);
 */
export async function deliver(channels: readonly NotificationChannel[], event: AlertEvent): Promise<DeliveryResult[]> {
  const settled = await Promise.allSettled(channels.map((channel) => channel.send(event)));
  return settled.map((outcome, index) => {
    const channel = channels[index]!.name;
    if (outcome.status === "fulfilled") return { channel, ok: true };
    const reason: unknown = outcome.reason;
    return { channel, ok: false, error: reason instanceof Error ? reason.message : String(reason) };
  });
}
