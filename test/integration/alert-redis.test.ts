/**
 * Alert state in real Redis through the local Upstash REST endpoint: concurrent
 * evaluations of the same minute (two clients, as two isolates would have)
 * notify exactly once, and the history holds exactly one event.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { afterAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { listAlerts } from "../../shared/monitoring/alert-list.ts";
import { evaluateAlerts } from "../../shared/monitoring/engine.ts";
import type { ThresholdRule } from "../../shared/monitoring/rules.ts";
import { INITIAL_STATE } from "../../shared/monitoring/lifecycle.ts";
import { redisAlertStore } from "../../shared/monitoring/state-store.ts";
import { minuteAt, minuteIndex, recordingChannel, syntheticSource } from "../unit/alert-fakes.ts";

const urls = localUrls();
const url = process.env.UPSTASH_REDIS_REST_URL ?? urls.UPSTASH_REDIS_REST_URL;
const token = process.env.UPSTASH_REDIS_REST_TOKEN ?? urls.UPSTASH_REDIS_REST_TOKEN;
const PREFIX = `test:alerts:${randomUUID()}:`;

/** A client per "isolate"; `raw` as the Worker uses it, parsed as a default client would. */
const client = (raw: boolean) => new Redis({ url, token, automaticDeserialization: !raw, enableTelemetry: false });

const rule: ThresholdRule = {
  id: "p95",
  name: "p95 above 500 ms",
  severity: "critical",
  metric: "latency_p95_ms",
  kind: "threshold",
  op: ">",
  threshold: 500,
  windowSeconds: 60,
  minSamples: 1,
  for: 1,
  keepFiringFor: 0,
};

afterAll(async () => {
  const redis = client(true);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
});

describe("alert state in Redis", () => {
  it("notifies exactly once when two isolates evaluate the same minute concurrently", async () => {
    const prefix = `${PREFIX}race:`;
    const source = syntheticSource((m) => (minuteIndex(m) < 3 ? 900 : 100));
    const channels = [recordingChannel("a"), recordingChannel("b")];
    const stores = [redisAlertStore(client(true), { prefix }), redisAlertStore(client(false), { prefix })];
    const round = (i: number, which: number) =>
      evaluateAlerts({ rules: [rule], source, store: stores[which]!, channels: [channels[which]!], now: minuteAt(i), defaultCooldownSeconds: 0 });

    for (const minute of [1, 2, 3, 4]) {
      const reports = await Promise.all([round(minute, 0), round(minute, 1), round(minute, 0), round(minute, 1)]);
      expect(reports.filter((r) => r.outcomes[0]!.status !== "skipped"), `minute ${minute}`).toHaveLength(1);
    }
    const sent = [...channels[0]!.sent, ...channels[1]!.sent].sort((x, y) => x.at.localeCompare(y.at));
    // Breaching minutes 0-2 are judged at 1-3: fire at 1, keep firing at 2 and 3, resolve at 4 (judging minute 3).
    expect(sent.map((e) => [e.kind, e.at])).toEqual([
      ["firing", minuteAt(1).toISOString()],
      ["resolved", minuteAt(4).toISOString()],
    ]);
    const history = await stores[1]!.history(10);
    expect(history.map((e) => e.id)).toEqual([`p95:${Math.floor(minuteAt(4).getTime() / 60_000)}:resolved`, `p95:${Math.floor(minuteAt(1).getTime() / 60_000)}:firing`]);
  });

  it("refuses a stale version and a tick that does not move forward", async () => {
    const store = redisAlertStore(client(true), { prefix: `${PREFIX}cas:` });
    const next = { ...INITIAL_STATE, status: "pending" as const, tick: 10 };
    expect(await store.commit("r", 0, next, undefined)).toBe(true);
    expect(await store.commit("r", 0, { ...next, tick: 11 }, undefined)).toBe(false);
    expect(await store.commit("r", 1, { ...next, tick: 10 }, undefined)).toBe(false);
    expect(await store.commit("r", 1, { ...next, tick: 11 }, undefined)).toBe(true);
    const loaded = (await store.load(["r", "missing"]));
    expect(loaded.get("r")).toMatchObject({ version: 2, state: { status: "pending", tick: 11 } });
    expect(loaded.get("missing")).toEqual({ version: 0, state: INITIAL_STATE });
  });

  it("lists active alerts and the capped history", async () => {
    const prefix = `${PREFIX}list:`;
    const store = redisAlertStore(client(true), { prefix, historyLimit: 3 });
    const source = syntheticSource((m) => (minuteIndex(m) % 2 === 0 ? 900 : 100));
    for (const minute of [1, 2, 3, 4, 5]) {
      await evaluateAlerts({ rules: [rule, { ...rule, id: "p95-slow", for: 10 }], source, store, channels: [], now: minuteAt(minute), defaultCooldownSeconds: 0 });
    }
    const listing = await listAlerts([rule, { ...rule, id: "p95-slow", for: 10 }], store, 50);
    expect(listing.recent).toHaveLength(3);
    expect(listing.active.map((a) => [a.ruleId, a.status])).toEqual([["p95", "firing"], ["p95-slow", "pending"]]);
    expect(listing.active[0]!.display).toBe("900 ms");
  });
});
