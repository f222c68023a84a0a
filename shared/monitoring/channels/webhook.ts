/**
 * The webhook channel: POSTs the event as JSON, signed (HMAC-SHA256, see
 * signature.ts) when a secret is set, each attempt bounded by a timeout, retried
 * with exponential backoff and jitter on network errors, timeouts, 408, 429 and
 * 5xx. Other 4xx answers are not retried: the request itself is wrong.
 *
 * @example
 * const hook = webhookChannel({ url: "https://ops.example/alerts", secret, timeoutMs: 5000, retries: 3 });
 * await hook.send(event);
 */
import type { AlertEvent } from "../events.ts";
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from "./signature.ts";
import type { NotificationChannel } from "./types.ts";

export class WebhookDeliveryError extends Error {
  readonly code = "webhook_delivery_failed";
  constructor(
    message: string,
    readonly attempts: number,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = "WebhookDeliveryError";
  }
}

export interface WebhookOptions {
  name?: string;
  url: string;
  secret?: string | undefined;
  timeoutMs?: number;
  /** Attempts after the first. */
  retries?: number;
  /** First backoff; doubles per attempt, capped at maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** The JSON body for an event (the Slack channel formats its own). */
  payload?: (event: AlertEvent) => unknown;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Unix seconds, for the signature timestamp. */
  now?: () => number;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function webhookChannel(options: WebhookOptions): NotificationChannel {
  const {
    name = "webhook",
    url,
    secret,
    timeoutMs = 5000,
    retries = 3,
    backoffMs = 500,
    maxBackoffMs = 10_000,
    payload = (event: AlertEvent) => ({ type: `alert.${event.kind}`, alert: event }),
    fetch: send = (input, init) => fetch(input, init),
    sleep = defaultSleep,
    now = () => Math.floor(Date.now() / 1000),
    random = Math.random,
  } = options;

  async function attempt(event: AlertEvent, body: string): Promise<{ ok: true } | { ok: false; retry: boolean; status?: number; error: string }> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "netra-edge-alerts",
      "x-netra-event": event.kind,
      "x-netra-delivery": event.id,
    };
    if (secret !== undefined && secret !== "") {
      const timestamp = now();
      headers[TIMESTAMP_HEADER] = String(timestamp);
      headers[SIGNATURE_HEADER] = await signWebhook(secret, timestamp, body);
    }
    try {
      const response = await send(url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
      // Drain the body so the connection is released (Workers count open responses).
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { ok: true };
      return { ok: false, retry: retryable(response.status), status: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      return { ok: false, retry: true, error: timedOut ? `timed out after ${timeoutMs} ms` : error instanceof Error ? error.message : String(error) };
    }
  }

  return {
    name,
    async send(event) {
      const body = JSON.stringify(payload(event));
      for (let attempts = 1; ; attempts++) {
        const result = await attempt(event, body);
        if (result.ok) return;
        if (!result.retry || attempts > retries) {
          const why = result.retry ? `gave up after ${attempts} attempts` : "not retried";
          throw new WebhookDeliveryError(`${name}: ${result.error} (${why})`, attempts, result.status);
        }
        // Equal jitter: at least half the backoff, so retries stay spaced, plus a random half so senders spread out.
        const backoff = Math.min(maxBackoffMs, backoffMs * 2 ** (attempts - 1));
        await sleep(backoff / 2 + random() * (backoff / 2));
      }
    },
  };
}
