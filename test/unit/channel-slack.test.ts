import { describe, expect, it } from "vitest";
import { slackChannel, slackPayload } from "../../shared/monitoring/channels/slack.ts";
import { firingEvent } from "./channel-fixtures.ts";

describe("Slack-compatible payload", () => {
  it("has the text, a severity colour and the fields an on-call person needs", () => {
    const payload = slackPayload(firingEvent());
    expect(payload.text).toContain("API latency p95 above 500 ms");
    expect(payload.attachments[0]).toMatchObject({ color: "#d1242f", title: "Firing: API latency p95 above 500 ms", ts: Date.parse("2026-11-02T12:03:00Z") / 1000 });
    expect(payload.attachments[0]!.fields).toEqual(
      expect.arrayContaining([
        { title: "Value", value: "812 ms", short: true },
        { title: "Limit", value: "500 ms", short: true },
        { title: "Route", value: "/v1/users/:id", short: true },
      ]),
    );
  });

  it("turns green on resolve", () => {
    expect(slackPayload(firingEvent({ kind: "resolved" })).attachments[0]!.color).toBe("#1a7f37");
  });

  it("is what the Slack channel posts", async () => {
    let body = "";
    const fetch = (async (_: RequestInfo | URL, init?: RequestInit) => {
      body = String(init?.body);
      return new Response("ok");
    }) as typeof globalThis.fetch;
    await slackChannel({ url: "https://hooks.slack.example/T/B/x", fetch }).send(firingEvent());
    expect(JSON.parse(body)).toEqual(slackPayload(firingEvent()));
  });
});
