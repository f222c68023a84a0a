/**
 * The `alerts` job (every minute): evaluates the configured rules against the
 * ClickHouse rollups and notifies on firing and resolve. Safe to run twice for
 * the same minute: the state commit in Redis decides who notifies (see
 * shared/monitoring/engine.ts).
 */
import { evaluateAlerts } from "../../shared/monitoring/engine.ts";
import type { CronJob } from "./jobs.ts";

export const alertsJob: CronJob = async ({ services, scheduledTime }) => {
  const { config, metricSource, alertStore } = services;
  const rules = config.monitoring.rules;
  if (rules.length === 0) return { status: "skipped", detail: { reason: "no alert rules configured" } };
  if (alertStore === undefined) return { status: "skipped", detail: { reason: "Redis is not configured: alert state has nowhere to live" } };
  if (metricSource === undefined) return { status: "skipped", detail: { reason: "ClickHouse is not configured: no metrics to evaluate" } };
  const report = await evaluateAlerts({
    rules,
    source: metricSource,
    store: alertStore,
    channels: services.alertChannels,
    now: scheduledTime,
    defaultCooldownSeconds: config.monitoring.cooldownSeconds,
  });
  const failed = report.outcomes.filter((o) => o.status === "error");
  // Every rule failing means the metrics (or Redis) are unreachable: let cron_runs say error.
  if (failed.length === rules.length) throw new Error(`every rule failed: ${failed[0]?.error ?? "unknown"}`);
  return {
    status: "ok",
    detail: {
      tick: report.tick,
      ...report.counts,
      firingRules: report.outcomes.filter((o) => o.status === "firing").map((o) => o.ruleId),
      errors: failed.map((o) => ({ rule: o.ruleId, error: o.error })),
      sent: report.outcomes.filter((o) => o.notified).map((o) => ({ rule: o.ruleId, kind: o.notified, deliveries: o.deliveries })),
    },
  };
};
