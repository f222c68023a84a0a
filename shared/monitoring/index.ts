/** The performance monitor: alert rules over the ClickHouse rollups, their lifecycle in Redis, and notification channels. */
export { listAlerts, type ActiveAlert, type AlertListing } from "./alert-list.ts";
export { buildChannels, DEFAULT_CHANNELS, parseAlertChannels, type ChannelConfig } from "./channels/config.ts";
export { deliver } from "./channels/deliver.ts";
export { logChannel } from "./channels/log.ts";
export { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, verifyWebhookSignature } from "./channels/signature.ts";
export { slackChannel, slackPayload } from "./channels/slack.ts";
export type { DeliveryResult, NotificationChannel } from "./channels/types.ts";
export { webhookChannel, WebhookDeliveryError, type WebhookOptions } from "./channels/webhook.ts";
export { clickHouseMetricSource, clickHouseReader, UNAVAILABLE_METRICS, type ClickHouseReader } from "./clickhouse-source.ts";
export { evaluateAlerts, tickOf, type EvaluationReport, type RuleOutcome } from "./engine.ts";
export { ingestionDropKey, ingestionDropSource, recordIngestionDrops, withIngestionDrops, type DropCounterRedis } from "./ingestion-drops.ts";
export { observe, type Condition, type Observation } from "./evaluate.ts";
export type { AlertEvent } from "./events.ts";
export { advance, INITIAL_STATE, type AlertState, type AlertStatus, type NotificationKind } from "./lifecycle.ts";
export { formatMetricValue, METRIC_NAMES, METRICS, type MetricName, type MetricPoint, type MetricQuery, type MetricSample, type MetricSource } from "./metrics.ts";
export { DEFAULT_RULES, parseAlertRules, type AlertRule, type ThresholdRule, type TrendRule } from "./rules.ts";
export type { MonitoringConfig } from "./settings.ts";
export { AlertStoreError, redisAlertStore, type AlertStateStore, type ScriptRedis } from "./state-store.ts";
