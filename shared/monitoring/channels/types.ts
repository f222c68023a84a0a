/** A place alert events go: a log, a webhook, a Slack-compatible webhook. */
import type { AlertEvent } from "../events.ts";

export interface NotificationChannel {
  readonly name: string;
  /** Resolves when delivered; rejects (after its own retries) when it could not be. */
  send(event: AlertEvent): Promise<void>;
}

export interface DeliveryResult {
  channel: string;
  ok: boolean;
  error?: string;
}
