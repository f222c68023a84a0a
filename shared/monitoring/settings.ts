/**
 * The alerting variables as zod/mini schemas for shared/config.ts: ALERT_RULES
 * and ALERT_CHANNELS are JSON text, validated here so a bad rule is a
 * ConfigError naming ALERT_RULES, the rule and the field.
 */
import * as z from "zod/mini";
import { parseAlertChannels, type ChannelConfig } from "./channels/config.ts";
import type { ParseResult } from "./json-config.ts";
import { parseAlertRules, type AlertRule } from "./rules.ts";

function jsonSetting<T>(parse: (text: string) => ParseResult<T>) {
  return z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      const result = parse(text);
      if (result.ok) return result.value;
      for (const message of result.issues) ctx.issues.push({ code: "custom", message, input: "(redacted)" });
      return z.NEVER;
    }),
  );
}

export const alertRulesSetting = jsonSetting<AlertRule[]>((text) => parseAlertRules(text));
export const alertChannelsSetting = jsonSetting<ChannelConfig[]>((text) => parseAlertChannels(text));

export interface MonitoringConfig {
  rules: AlertRule[];
  channels: ChannelConfig[];
  /** Default minimum time between two firing notifications of one rule. */
  cooldownSeconds: number;
  historyLimit: number;
  webhookTimeoutMs: number;
  webhookRetries: number;
  /** Prefix of the alert state keys in Redis (deployments sharing one Redis, tests). */
  keyPrefix: string;
  /** HMAC key for dashboard session cookies; derived from API_ADMIN_KEY when unset. */
  sessionSecret: string | undefined;
}

export function defaultAlertRules(): AlertRule[] {
  const result = parseAlertRules(undefined);
  return result.ok ? result.value : [];
}

export function defaultAlertChannels(): ChannelConfig[] {
  const result = parseAlertChannels(undefined);
  return result.ok ? result.value : [];
}
