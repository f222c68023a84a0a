import { describe, expect, it } from "vitest";
import { deliver } from "../../shared/monitoring/channels/deliver.ts";
import { logChannel } from "../../shared/monitoring/channels/log.ts";
import { verifyWebhookSignature } from "../../shared/monitoring/channels/signature.ts";
import { webhookChannel, WebhookDeliveryError } from "../../shared/monitoring/channels/webhook.ts";
import { firingEvent } from "./channel-fixtures.ts";

interface Call {
  url: string;
  headers: Headers;
  body: string;
}

/** A fetch that answers from a script of statuses (or throws for "network"/"timeout"), recording each call. */
function scriptedFetch(script: Array<number | "network" | "timeout">) {
  const calls: Call[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), headers: new Headers(init?.headers), body: String(init?.body) });
    const step = script[Math.min(calls.length - 1, script.length - 1)]!;
    if (step === "network") throw new TypeError("fetch failed");
    if (step === "timeout") throw new DOMException("The operation timed out.", "TimeoutError");
    return new Response(step === 204 ? null : "ok", { status: step });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const noSleep = () => {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
};

describe("webhook channel", () => {
  it("posts the event as JSON with a signature a receiver can verify", async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const secret = "whsec-0123456789abcdef";
    await webhookChannel({ url: "https://ops.example/hook", secret, fetch, now: () => 1_800_000_000 }).send(firingEvent());
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.headers.get("content-type")).toBe("application/json");
    expect(call!.headers.get("x-netra-event")).toBe("firing");
    expect(JSON.parse(call!.body)).toMatchObject({ type: "alert.firing", alert: { ruleId: "latency-p95", value: 812.4 } });
    const verify = (body: string, signatureSecret = secret) =>
      verifyWebhookSignature({ secret: signatureSecret, body, timestamp: call!.headers.get("x-netra-timestamp"), signature: call!.headers.get("x-netra-signature"), now: 1_800_000_010 });
    expect(await verify(call!.body)).toBe(true);
    expect(await verify(call!.body.replace("812.4", "1"))).toBe(false);
    expect(await verify(call!.body, "another-secret-0123")).toBe(false);
  });

  it("rejects a stale timestamp even with a valid signature", async () => {
    const { fetch, calls } = scriptedFetch([200]);
    await webhookChannel({ url: "https://ops.example/hook", secret: "whsec-0123456789abcdef", fetch, now: () => 1_800_000_000 }).send(firingEvent());
    const ok = await verifyWebhookSignature({
      secret: "whsec-0123456789abcdef",
      body: calls[0]!.body,
      timestamp: calls[0]!.headers.get("x-netra-timestamp"),
      signature: calls[0]!.headers.get("x-netra-signature"),
      now: 1_800_000_000 + 301,
    });
    expect(ok).toBe(false);
  });

  it("sends no signature headers without a secret", async () => {
    const { fetch, calls } = scriptedFetch([204]);
    await webhookChannel({ url: "https://ops.example/hook", fetch }).send(firingEvent());
    expect(calls[0]!.headers.has("x-netra-signature")).toBe(false);
  });

  it("retries 5xx, 429, timeouts and network errors with growing backoff, then succeeds", async () => {
    const { fetch, calls } = scriptedFetch([503, 429, "timeout", "network", 200]);
    const { delays, sleep } = noSleep();
    await webhookChannel({ url: "https://ops.example/hook", fetch, sleep, retries: 4, backoffMs: 100, random: () => 0.5 }).send(firingEvent());
    expect(calls).toHaveLength(5);
    // Equal jitter with random 0.5: 3/4 of 100, 200, 400, 800.
    expect(delays).toEqual([75, 150, 300, 600]);
  });

  it("gives up after its retries with a typed error", async () => {
    const { fetch, calls } = scriptedFetch([500]);
    const { sleep } = noSleep();
    const error = await webhookChannel({ name: "ops", url: "https://ops.example/hook", fetch, sleep, retries: 2 }).send(firingEvent()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookDeliveryError);
    expect(error).toMatchObject({ code: "webhook_delivery_failed", attempts: 3, status: 500 });
    expect((error as Error).message).toBe("ops: HTTP 500 (gave up after 3 attempts)");
    expect(calls).toHaveLength(3);
  });

  it("does not retry other 4xx answers", async () => {
    const { fetch, calls } = scriptedFetch([404]);
    const error = await webhookChannel({ url: "https://ops.example/hook", fetch, retries: 5, sleep: async () => {} }).send(firingEvent()).catch((e: unknown) => e);
    expect(error).toMatchObject({ attempts: 1, status: 404 });
    expect(calls).toHaveLength(1);
  });
});

describe("delivery to several channels", () => {
  it("a failing channel neither stops nor fails the others", async () => {
    const lines: string[] = [];
    const failing = webhookChannel({ name: "down", url: "https://down.example", fetch: scriptedFetch([500]).fetch, retries: 1, sleep: async () => {} });
    const good = scriptedFetch([200]);
    const results = await deliver([failing, webhookChannel({ name: "up", url: "https://up.example", fetch: good.fetch }), logChannel({ write: (l) => lines.push(l) })], firingEvent());
    expect(results).toEqual([
      { channel: "down", ok: false, error: "down: HTTP 500 (gave up after 2 attempts)" },
      { channel: "up", ok: true },
      { channel: "log", ok: true },
    ]);
    expect(good.calls).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "warn", message: "alert firing", alert: { ruleId: "latency-p95" } });
  });
});
