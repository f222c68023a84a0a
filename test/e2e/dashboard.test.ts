/**
 * The dashboard in a real browser (Debian's chromium through playwright-core)
 * against `wrangler dev`, with ClickHouse seeded in a throwaway database and
 * alert state under a throwaway Redis prefix: sign in, charts drawn from the
 * seeded rollups, an alert evaluated by the cron job, the range selector
 * changing what is shown, the index panel with each applied index's measured impact (from an
 * advisor run stored for the test), no console errors. Leaves a screenshot in test-results/ (and refreshes
 * the README's docs/dashboard.png when NETRA_UPDATE_SCREENSHOT=1).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { Redis } from "@upstash/redis";
import pg from "pg";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumLaunchOptions } from "../../scripts/lib/chromium.ts";
import { repoRoot, startWrangler, waitForHttp, type DevServer } from "../../scripts/lib/dev-servers.ts";
import { localConfig, localUrls } from "../../scripts/lib/local-config.ts";
import { migrateClickHouse } from "../../scripts/migrate.ts";
import { seedDashboardData } from "./dashboard-seed.ts";

const WRANGLER_PORT = 8861;
const INSPECTOR_PORT = 9461;
const ADMIN_KEY = `e2e-dashboard-admin-${randomBytes(8).toString("hex")}`;
const suffix = randomBytes(5).toString("hex");
const database = `netra_test_dash_${suffix}`;
const alertPrefix = `test:dash:${suffix}:`;
const urls = { ...localUrls(), ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k in localUrls())) } as ReturnType<typeof localUrls>;

const RULES = [
  { id: "error-rate", name: "Error rate above 5%", severity: "critical", metric: "error_rate", kind: "threshold", op: ">", threshold: 0.05, minSamples: 20, for: 1 },
  { id: "latency-p95", name: "API latency p95 above 150 ms", metric: "latency_p95_ms", kind: "threshold", op: ">", threshold: 150, minSamples: 20, for: 3 },
  { id: "cache-hit-ratio", name: "Cache hit ratio below the 80% target", metric: "cache_hit_ratio", kind: "threshold", op: "<", threshold: 0.8, minSamples: 50, for: 5 },
];

/** A finished advisor run whose report measured two applied indexes: one now, one carried from an earlier run. */
const ADVISOR_RUN_KEY = `test:dash:${suffix}`;
const ADVISOR_REPORT = {
  capabilities: { mode: "what-if" },
  recommendations: [],
  findings: [],
  verification: [
    {
      name: "orders_customer_id_created_at_dash_adv", table: "public.orders", verdict: "held", action: "kept", reason: "measured saving 91.7% against predicted 95.0%",
      predictedSaving: 0.95, measuredSaving: 0.917, sizeBytes: 4_194_304, writeBeforeMs: 0.21, writeAfterMs: 0.22, measuredAt: "2026-12-06T09:00:00.000Z",
      statements: [{ queryid: "1", beforeMs: 4.2, afterMs: 0.35, calls: 40 }],
    },
    {
      name: "reviews_product_id_dash_adv", table: "public.reviews", verdict: "held", action: "kept", reason: "measured saving 80.0% against predicted 90.0%",
      predictedSaving: 0.9, measuredSaving: 0.8, sizeBytes: 2_097_152, writeBeforeMs: null, writeAfterMs: null, measuredAt: "2026-12-05T08:30:00.000Z", carried: true,
      statements: [{ queryid: "2", beforeMs: 12, afterMs: 2.4, calls: 30 }],
    },
  ],
};

let wrangler: DevServer;
let clickhouse: ClickHouseClient;
let context: BrowserContext;
let page: Page;
const scratch = mkdtempSync(join(tmpdir(), "netra-dashboard-e2e-"));
const consoleErrors: string[] = [];

beforeAll(async () => {
  await migrateClickHouse({ url: urls.CLICKHOUSE_URL, database }, { log: () => undefined });
  clickhouse = createClient({ url: urls.CLICKHOUSE_URL, database });
  await seedDashboardData(clickhouse, database, Date.now());
  await insertAdvisorRun();

  // An env file replaces .dev.vars: the same local stack, but our database, key and Redis prefix.
  const envFile = join(scratch, "dashboard.env");
  const vars: Record<string, string> = {
    ...urls,
    CLICKHOUSE_DATABASE: database,
    API_ADMIN_KEY: ADMIN_KEY,
    ALERT_KEY_PREFIX: alertPrefix,
    ALERT_RULES: JSON.stringify(RULES),
  };
  // Single quotes: dotenv keeps the value literally (JSON rules carry double quotes, never single ones).
  writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join("\n"));
  wrangler = startWrangler({ ...localConfig(), wrangler: { port: WRANGLER_PORT, inspectorPort: INSPECTOR_PORT } }, { quiet: true, extraArgs: ["--env-file", envFile] });
  await waitForHttp(`${wrangler.url}/dashboard`, { server: wrangler, ok: (s) => s === 200, timeoutMs: 90_000 });

  // One alerts cron run over the seeded data.
  const cron = await fetch(`${wrangler.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
  expect(cron.status).toBe(200);
  for (let i = 0; i < 60; i++) {
    const res = await fetch(`${wrangler.url}/v1/ops/alerts`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const body = (await res.json()) as { active?: unknown[] };
    if ((body.active?.length ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }

  context = await chromium.launchPersistentContext(join(scratch, "profile"), { ...chromiumLaunchOptions(), viewport: { width: 1440, height: 900 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
}, 240_000);

/**
 * The panel shows the newest finished run of the dev database, which other e2e files
 * (cron runs, on-demand runs) also write to: (re)inserting gives ours the highest id.
 */
async function insertAdvisorRun(): Promise<void> {
  await withPostgres(async (db) => {
    await db.query("DELETE FROM index_advisor_runs WHERE trigger_key = $1", [ADVISOR_RUN_KEY]);
    await db.query(
      `INSERT INTO index_advisor_runs (trigger_key, trigger, status, apply, started_at, finished_at, summary, report) VALUES ($1, 'manual', 'ok', true, now(), now(), '{}', $2)`,
      [ADVISOR_RUN_KEY, JSON.stringify(ADVISOR_REPORT)],
    );
  });
}

async function withPostgres<T>(work: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: urls.DATABASE_URL });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

afterAll(async () => {
  await withPostgres((db) => db.query("DELETE FROM index_advisor_runs WHERE trigger_key = $1", [ADVISOR_RUN_KEY])).catch(() => undefined);
  await context?.close();
  await wrangler?.stop();
  await clickhouse?.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
  await clickhouse?.close();
  const redis = new Redis({ url: urls.UPSTASH_REDIS_REST_URL, token: urls.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false });
  const keys = await redis.keys(`${alertPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  rmSync(scratch, { recursive: true, force: true });
});

const bearer = { authorization: `Bearer ${ADMIN_KEY}` };

describe("ops alert and dashboard APIs", () => {
  it("GET /v1/ops/alerts needs the ops scope and lists the evaluated alerts", async () => {
    const anonymous = await fetch(`${wrangler.url}/v1/ops/alerts`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: "missing_credentials" });
    const badLimit = await fetch(`${wrangler.url}/v1/ops/alerts?limit=0`, { headers: bearer });
    expect(badLimit.status).toBe(400);
    expect(await badLimit.json()).toMatchObject({ code: "invalid_limit" });
    const res = await fetch(`${wrangler.url}/v1/ops/alerts?limit=5`, { headers: bearer });
    const body = (await res.json()) as { active: Array<{ ruleId: string; status: string }>; recent: Array<{ kind: string; ruleId: string; notified: boolean }>; rules: unknown[] };
    expect(res.status).toBe(200);
    expect(body.rules).toHaveLength(RULES.length);
    expect(body.active).toContainEqual(expect.objectContaining({ ruleId: "error-rate", status: "firing" }));
    expect(body.recent[0]).toMatchObject({ kind: "firing", ruleId: "error-rate", notified: true });
  });

  it("guards the overview and validates its range", async () => {
    const anonymous = await fetch(`${wrangler.url}/dashboard/api/overview`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: "session_required" });
    const badRange = await fetch(`${wrangler.url}/dashboard/api/overview?range=2h`, { headers: bearer });
    expect(badRange.status).toBe(400);
    expect(await badRange.json()).toMatchObject({ code: "invalid_range" });
    const ok = await fetch(`${wrangler.url}/dashboard/api/overview?range=1h`, { headers: bearer });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ range: "1h", series: { ok: true }, alerts: { ok: true } });
  });

  it("serves uPlot and the page assets from the Worker itself", async () => {
    const script = await fetch(`${wrangler.url}/dashboard/assets/uplot.js`);
    expect(script.headers.get("content-type")).toContain("text/javascript");
    expect(await script.text()).toContain("uPlot");
    expect((await fetch(`${wrangler.url}/dashboard/assets/uplot.css`)).headers.get("content-type")).toContain("text/css");
    expect((await fetch(`${wrangler.url}/dashboard/assets/nope.js`)).status).toBe(404);
  });
});

const panelState = (id: string) => page.getAttribute(`[data-panel="${id}"]`, "data-state");
const panelPoints = async (id: string) => Number(await page.getAttribute(`[data-panel="${id}"]`, "data-points"));

describe("dashboard", () => {
  it("asks for a key, refuses a wrong one, and signs in with an ops key", async () => {
    await page.goto(`${wrangler.url}/dashboard`);
    await page.fill("#key", "nk_not-a-key");
    await page.click("button[type=submit]");
    await expect.poll(() => page.textContent(".login-error")).toContain("not valid");
    await page.fill("#key", ADMIN_KEY);
    await Promise.all([page.waitForURL(`${wrangler.url}/dashboard`), page.click("button[type=submit]")]);
    await page.waitForSelector("body[data-state=ready]", { timeout: 30_000 });
    // The refused sign-in logged its 401 on purpose; from here on the page must log nothing.
    expect(consoleErrors.every((e) => e.includes("401"))).toBe(true);
    consoleErrors.length = 0;
  });

  it("draws the request charts from the seeded rollups", async () => {
    for (const id of ["requests", "errors", "latency", "cache", "slow-queries", "ingestion"]) {
      expect(await panelState(id), id).toBe("ready");
      expect(await page.locator(`[data-panel="${id}"] canvas`).count(), id).toBeGreaterThan(0);
    }
    // 1h at one-minute steps: up to 60 buckets, each with requests.
    expect(await panelPoints("requests")).toBeGreaterThanOrEqual(55);
    expect(await page.textContent("#summary")).toContain("Requests");
  });

  it("shows the alert the cron job evaluated", async () => {
    const firing = page.locator('#alerts li.alert.firing[data-rule="error-rate"]');
    await expect.poll(() => firing.count()).toBe(1);
    expect(await firing.textContent()).toContain("Error rate above 5%");
  });

  it("shows each applied index's measured impact on the index panel", async () => {
    // Another file's advisor run may have finished since beforeAll: make ours the newest again.
    await insertAdvisorRun();
    await page.reload();
    await page.waitForSelector("body[data-state=ready]", { timeout: 30_000 });
    const panel = page.locator("#indexes");
    await expect.poll(() => panel.textContent()).toContain("Measured impact of applied indexes");
    const rows = panel.locator("tr", { hasText: "_dash_adv" });
    expect(await rows.count()).toBe(2);
    const measured = await rows.nth(0).textContent();
    for (const part of ["orders_customer_id_created_at_dash_adv", "4.20 → 0.35 ms", "92% / 95%", "4,096 KiB", "0.21 → 0.22 ms", "held (kept)"]) expect(measured).toContain(part);
    expect(await rows.nth(1).textContent()).toContain("held (kept), measured 2026-12-05 08:30");
  });

  it("changes what is shown with the range selector", async () => {
    expect(await page.getAttribute("body", "data-range")).toBe("1h");
    const hourFrom = Number(await page.getAttribute("body", "data-from"));
    // Room traffic stopped two hours ago: nothing to draw in the last hour.
    expect(await panelState("ws-batching")).toBe("empty");
    expect(await page.textContent('[data-panel="ws-batching"] .panel-note')).toBe("No WebSocket traffic in this range");

    await page.click('[data-range="6h"]');
    await expect.poll(() => page.getAttribute("body", "data-range")).toBe("6h");
    await page.waitForSelector("body[data-state=ready]");
    const sixHourFrom = Number(await page.getAttribute("body", "data-from"));
    expect(hourFrom - sixHourFrom).toBeGreaterThan(4 * 3_600_000);
    expect(await panelState("ws-batching")).toBe("ready");
    expect(await panelState("ws-queue")).toBe("ready");
    // Six hours at five-minute steps: 72 buckets instead of 60.
    expect(await panelPoints("requests")).toBeGreaterThan(60);
    expect(new URL(page.url()).searchParams.get("range")).toBe("6h");
  });

  it("logged no console errors, and leaves a screenshot", async () => {
    mkdirSync(join(repoRoot, "docs"), { recursive: true });
    // A test run must not rewrite tracked files: docs/ only on request.
    const shot = process.env.NETRA_UPDATE_SCREENSHOT === "1" ? "docs/dashboard.png" : "test-results/dashboard.png";
    await page.screenshot({ path: join(repoRoot, shot), fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
