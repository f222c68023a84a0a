/**
 * Webhook delivery over real HTTP: a local receiver verifies the signature the
 * way a customer's endpoint would, and a failing receiver is retried then given
 * up on without holding back the others.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../../shared/monitoring/channels/deliver.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from "../../shared/monitoring/channels/signature.ts";
import { slackChannel } from "../../shared/monitoring/channels/slack.ts";
import { webhookChannel } from "../../shared/monitoring/channels/webhook.ts";
import { firingEvent } from "../unit/channel-fixtures.ts";

const SECRET = "whsec-integration-0123456789";

interface Received {
  path: string;
  body: string;
  verified: boolean;
}

let server: Server;
let base: string;
const received: Received[] = [];
const failures = new Map<string, number>();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? "/";
    if (path.startsWith("/fail")) {
      failures.set(path, (failures.get(path) ?? 0) + 1);
      res.writeHead(503).end("down");
      return;
    }
    const verified = await verifyWebhookSignature({
      secret: SECRET,
      body,
      timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
      signature: req.headers[SIGNATURE_HEADER] as string | undefined,
    });
    received.push({ path, body, verified });
    res.writeHead(verified || path === "/slack" ? 200 : 401).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("webhook channel over HTTP", () => {
  it("signs the exact body so the receiver can verify it", async () => {
    await webhookChannel({ url: `${base}/hook`, secret: SECRET }).send(firingEvent());
    const hit = received.find((r) => r.path === "/hook");
    expect(hit?.verified).toBe(true);
    expect(JSON.parse(hit!.body)).toMatchObject({ type: "alert.firing", alert: { id: firingEvent().id } });
  });

  it("is refused by a receiver holding another secret", async () => {
    const error = await webhookChannel({ url: `${base}/hook-wrong`, secret: "whsec-some-other-secret", retries: 0 }).send(firingEvent()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "webhook_delivery_failed", status: 401, attempts: 1 });
    expect(received.find((r) => r.path === "/hook-wrong")?.verified).toBe(false);
  });

  it("retries a failing receiver, gives up, and still delivers to the others", async () => {
    const results = await deliver(
      [
        webhookChannel({ name: "failing", url: `${base}/fail-1`, secret: SECRET, retries: 2, backoffMs: 10 }),
        webhookChannel({ name: "ok", url: `${base}/hook-2`, secret: SECRET }),
        slackChannel({ url: `${base}/slack` }),
      ],
      firingEvent(),
    );
    expect(results).toEqual([
      { channel: "failing", ok: false, error: "failing: HTTP 503 (gave up after 3 attempts)" },
      { channel: "ok", ok: true },
      { channel: "slack", ok: true },
    ]);
    expect(failures.get("/fail-1")).toBe(3);
    expect(received.find((r) => r.path === "/hook-2")?.verified).toBe(true);
    expect(JSON.parse(received.find((r) => r.path === "/slack")!.body)).toHaveProperty("attachments");
  });
});
