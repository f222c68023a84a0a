/**
 * A Slack-compatible incoming-webhook payload (Slack, Mattermost, Rocket.Chat and
 * Discord's /slack endpoint accept it), delivered by the webhook channel.
 */
import type { AlertEvent } from "../events.ts";
import { formatMetricValue } from "../metrics.ts";
import { webhookChannel, type WebhookOptions } from "./webhook.ts";
import type { NotificationChannel } from "./types.ts";

const COLORS = { critical: "#d1242f", warning: "#d4a72c", info: "#0969da" } as const;
const RESOLVED_COLOR = "#1a7f37";

export interface SlackMessage {
  text: string;
  attachments: Array<{ color: string; title: string; text: string; fields: Array<{ title: string; value: string; short: boolean }>; ts: number }>;
}

export function slackPayload(event: AlertEvent): SlackMessage {
  const fields = [
    { title: "Severity", value: event.severity, short: true },
    { title: "Value", value: formatMetricValue(event.metric, event.value), short: true },
    { title: "Limit", value: formatMetricValue(event.metric, event.bound), short: true },
    { title: "Samples", value: String(event.samples), short: true },
  ];
  if (event.route !== null) fields.push({ title: "Route", value: event.route, short: true });
  const icon = event.kind === "firing" ? ":rotating_light:" : ":white_check_mark:";
  return {
    text: `${icon} ${event.summary}`,
    attachments: [
      {
        color: event.kind === "firing" ? COLORS[event.severity] : RESOLVED_COLOR,
        title: `${event.kind === "firing" ? "Firing" : "Resolved"}: ${event.name}`,
        text: event.summary,
        fields,
        ts: Math.floor(Date.parse(event.at) / 1000),
      },
    ],
  };
}

export function slackChannel(options: Omit<WebhookOptions, "payload">): NotificationChannel {
  return webhookChannel({ name: "slack", ...options, payload: slackPayload });
}
