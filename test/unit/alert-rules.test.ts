import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../shared/config.ts";
import { DEFAULT_RULES, parseAlertRules } from "../../shared/monitoring/rules.ts";
import { parseAlertChannels } from "../../shared/monitoring/channels/config.ts";

const DATABASE_URL = "postgres://u:p@db.example/app";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ DATABASE_URL, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("alert rules in configuration", () => {
  it("uses the seed's rules when ALERT_RULES is unset, including the 80% cache hit target", () => {
    const config = loadConfig({ DATABASE_URL });
    expect(config.monitoring.rules.map((r) => r.id)).toEqual(DEFAULT_RULES.map((r) => r.id));
    expect(config.monitoring.rules.find((r) => r.metric === "cache_hit_ratio")).toMatchObject({ kind: "threshold", op: "<", threshold: 0.8 });
    expect(config.monitoring.channels).toEqual([{ type: "log" }]);
    expect(config.monitoring.cooldownSeconds).toBe(600);
  });

  it("fills defaults and a name into a minimal rule", () => {
    const result = parseAlertRules(JSON.stringify([{ id: "p99", metric: "latency_p99_ms", kind: "threshold", op: ">", threshold: 900 }]));
    expect(result).toEqual({
      ok: true,
      value: [{ id: "p99", name: "Latency p99 (p99)", metric: "latency_p99_ms", kind: "threshold", op: ">", threshold: 900, severity: "warning", windowSeconds: 300, minSamples: 20, for: 3, keepFiringFor: 2 }],
    });
  });

  it("accepts trend rules with their defaults", () => {
    const result = parseAlertRules(JSON.stringify([{ id: "t", metric: "error_rate", kind: "trend", method: "week_over_week", direction: "up" }]));
    expect(result.ok && result.value[0]).toMatchObject({ kind: "trend", deviations: 3, alpha: 0.3, baselineMinutes: 60, minBaselinePoints: 10 });
  });

  it("rejects a bad rule with a config error naming the variable, the rule and the field", () => {
    const error = configError({ ALERT_RULES: JSON.stringify([{ id: "ok", metric: "error_rate", kind: "threshold", op: ">", threshold: 0.1 }, { id: "bad", metric: "latency_p95_ms", kind: "threshold", op: "=>", threshold: "high" }]) });
    expect(error.variable).toBe("ALERT_RULES");
    expect(error.message).toContain('rule 1 ("bad").op: must be one of');
    expect(error.message).toContain('rule 1 ("bad").threshold: must be a number');
  });

  it("rejects unknown metrics, unknown fields, duplicate ids and percentages given for ratios", () => {
    expect(parseAlertRules(JSON.stringify([{ id: "a", metric: "cpu", kind: "threshold", op: ">", threshold: 1 }]))).toMatchObject({ ok: false, issues: [expect.stringContaining("metric: must be one of")] });
    expect(parseAlertRules(JSON.stringify([{ id: "a", metric: "error_rate", kind: "threshold", op: ">", threshold: 0.1, treshold: 2 }]))).toMatchObject({ ok: false });
    const dup = parseAlertRules(JSON.stringify([0, 1].map(() => ({ id: "same", metric: "error_rate", kind: "threshold", op: ">", threshold: 0.1 }))));
    expect(dup).toEqual({ ok: false, issues: ['rule 1 ("same").id: duplicate rule id "same"'] });
    const percent = parseAlertRules(JSON.stringify([{ id: "hits", metric: "cache_hit_ratio", kind: "threshold", op: "<", threshold: 80 }]));
    expect(percent).toEqual({ ok: false, issues: ['rule 0 ("hits").threshold: cache_hit_ratio is a ratio: threshold must lie in 0..1'] });
  });

  it("rejects `for` below 1 and text that is not JSON", () => {
    expect(parseAlertRules(JSON.stringify([{ id: "a", metric: "error_rate", kind: "threshold", op: ">", threshold: 0.1, for: 0 }]))).toEqual({ ok: false, issues: ['rule 0 ("a").for: must be >= 1'] });
    expect(configError({ ALERT_RULES: "{not json" }).message).toContain("ALERT_RULES is not valid JSON");
  });
});

describe("alert channels in configuration", () => {
  it("validates channels without echoing secrets", () => {
    const secret = "not-long";
    const error = configError({ ALERT_CHANNELS: JSON.stringify([{ type: "webhook", url: "ftp://x", secret }]) });
    expect(error.variable).toBe("ALERT_CHANNELS");
    expect(error.message).toContain("channel 0.url: must be an http(s) URL");
    expect(error.message).not.toContain(secret);
  });

  it("accepts log, webhook and slack channels and rejects duplicate names", () => {
    const channels = [{ type: "log" }, { type: "webhook", url: "https://ops.example/hook", secret: "0123456789abcdef" }, { type: "slack", url: "https://hooks.slack.example/x" }];
    expect(parseAlertChannels(JSON.stringify(channels))).toMatchObject({ ok: true });
    expect(parseAlertChannels(JSON.stringify([{ type: "log", name: "x" }, { type: "log", name: "x" }]))).toEqual({ ok: false, issues: ['channel 1 ("x").name: duplicate channel name "x"'] });
    expect(parseAlertChannels(JSON.stringify([{ type: "email" }]))).toMatchObject({ ok: false });
  });
});
