/**
 * Notification channels as declared in configuration (ALERT_CHANNELS, a JSON
 * array; it may hold webhook secrets, so set it as a secret). Absent -> the log
 * channel only.
 *
 * @example
 * ALERT_CHANNELS='[{"type":"log"},{"type":"webhook","url":"https://ops.example/hook","secret":"..."},{"type":"slack","url":"https://hooks.slack.com/services/..."}]'
 */
import * as z from "zod/mini";
import { parseJsonList, type ParseResult } from "../json-config.ts";
import { logChannel } from "./log.ts";
import { slackChannel } from "./slack.ts";
import type { NotificationChannel } from "./types.ts";
import { webhookChannel } from "./webhook.ts";

const httpUrl = z.string().check(
  z.refine(
    (value: string) => {
      try {
        return ["http:", "https:"].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: "must be an http(s) URL" },
  ),
);
const name = z.optional(z.string().check(z.regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, { error: "must be a lowercase slug" })));
const delivery = {
  url: httpUrl,
  timeoutMs: z.optional(z.int().check(z.minimum(100), z.maximum(60_000))),
  retries: z.optional(z.int().check(z.minimum(0), z.maximum(10))),
  backoffMs: z.optional(z.int().check(z.minimum(0), z.maximum(60_000))),
};

const channelSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("log"), name }),
    z.strictObject({ type: z.literal("webhook"), name, ...delivery, secret: z.optional(z.string().check(z.minLength(16, { error: "must be at least 16 characters" }))) }),
    z.strictObject({ type: z.literal("slack"), name, ...delivery }),
  ],
  { error: 'type must be "log", "webhook" or "slack"' },
);

export type ChannelConfig = z.infer<typeof channelSchema>;

const channelsSchema = z.array(channelSchema).check(
  z.superRefine((channels, ctx) => {
    const seen = new Set<string>();
    channels.forEach((channel, index) => {
      const label = channelName(channel, index);
      if (seen.has(label)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `duplicate channel name "${label}"`, input: label });
      seen.add(label);
    });
  }),
);

function channelName(channel: ChannelConfig, index: number): string {
  return channel.name ?? (index === 0 ? channel.type : `${channel.type}-${index}`);
}

export const DEFAULT_CHANNELS: readonly ChannelConfig[] = Object.freeze([{ type: "log" }]);

export function parseAlertChannels(text: string | undefined): ParseResult<ChannelConfig[]> {
  if (text === undefined) return { ok: true, value: DEFAULT_CHANNELS.map((c) => ({ ...c })) };
  return parseJsonList(text, channelsSchema, "channel");
}

export interface ChannelDefaults {
  timeoutMs: number;
  retries: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
}

/** Live channels for a validated config. */
export function buildChannels(configs: readonly ChannelConfig[], defaults: ChannelDefaults): NotificationChannel[] {
  return configs.map((channel, index) => {
    const name = channelName(channel, index);
    if (channel.type === "log") return logChannel({ name, ...(defaults.log ? { write: defaults.log } : {}) });
    const common = {
      name,
      url: channel.url,
      timeoutMs: channel.timeoutMs ?? defaults.timeoutMs,
      retries: channel.retries ?? defaults.retries,
      ...(channel.backoffMs !== undefined ? { backoffMs: channel.backoffMs } : {}),
      ...(defaults.fetch ? { fetch: defaults.fetch } : {}),
      ...(defaults.sleep ? { sleep: defaults.sleep } : {}),
    };
    return channel.type === "webhook" ? webhookChannel({ ...common, secret: channel.secret }) : slackChannel(common);
  });
}
