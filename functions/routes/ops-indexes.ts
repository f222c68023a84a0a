/**
 * The index advisor over HTTP (scope "ops"):
 * - GET  /v1/ops/indexes           the latest finished run's report
 * - GET  /v1/ops/indexes/runs/:id  one run (any status)
 * - POST /v1/ops/indexes/runs      run now; `Idempotency-Key` makes a retry return the first run
 */
import { Hono } from "hono";
import type { SqlExecutor } from "../../shared/db/advisor/types.ts";
import { postgresRunStore, type StoredRun } from "../../shared/db/advisor/store.ts";
import { neonSql } from "../../shared/db/neon-client.ts";
import type { ApiEnv } from "../api-env.ts";
import { configFor } from "../config.ts";
import { runIndexAnalysis } from "../cron/index-analysis.ts";
import { requireScope } from "../middleware/auth.ts";
import { problem } from "../middleware/problem.ts";

const NO_STORE = { "cache-control": "no-store" };
const RUN_ID = /^[1-9][0-9]{0,17}$/;
const IDEMPOTENCY_KEY = /^[!-~]{1,128}$/;

/** Neon's HTTP driver as the store's executor: the store needs no session. */
function httpExecutor(env: ApiEnv["Bindings"]): SqlExecutor {
  const sql = neonSql(configFor(env).postgres);
  return { query: async (text, params) => ({ rows: (await sql.query(text, params)) as Record<string, unknown>[] }) };
}

function present(run: StoredRun) {
  return { id: run.id, trigger: run.trigger, status: run.status, apply: run.apply, startedAt: run.startedAt, finishedAt: run.finishedAt, summary: run.summary, error: run.error, report: run.report };
}

export const opsIndexRoutes = new Hono<ApiEnv>()
  .use("/v1/ops/indexes", requireScope("ops"))
  .use("/v1/ops/indexes/*", requireScope("ops"))
  .get("/v1/ops/indexes", async (c) => {
    const run = await postgresRunStore(httpExecutor(c.env)).latest();
    if (run === undefined) {
      return problem(c, { status: 404, code: "no_advisor_run", title: "Not Found", detail: "The index advisor has not finished a run yet; POST /v1/ops/indexes/runs starts one" });
    }
    return c.json(present(run), 200, NO_STORE);
  })
  .get("/v1/ops/indexes/runs/:id", async (c) => {
    const id = c.req.param("id");
    if (!RUN_ID.test(id)) {
      return problem(c, { status: 400, code: "invalid_run_id", title: "Bad Request", detail: "A run id is a positive integer" });
    }
    const run = await postgresRunStore(httpExecutor(c.env)).byId(id);
    if (run === undefined) {
      return problem(c, { status: 404, code: "advisor_run_not_found", title: "Not Found", detail: `No index advisor run ${id}` });
    }
    return c.json(present(run), 200, NO_STORE);
  })
  .post("/v1/ops/indexes/runs", async (c) => {
    const key = c.req.header("idempotency-key");
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      return problem(c, { status: 400, code: "invalid_idempotency_key", title: "Bad Request", detail: "Idempotency-Key must be 1-128 printable ASCII characters" });
    }
    const config = configFor(c.env);
    const outcome = await runIndexAnalysis(config, "manual", `manual:${key ?? crypto.randomUUID()}`);
    if (outcome.status === "error") {
      return problem(c, { status: 502, code: "advisor_run_failed", title: "Bad Gateway", detail: `The index advisor run ${outcome.runId ?? ""} failed: ${outcome.reason ?? "unknown error"}` });
    }
    const stored = outcome.runId === undefined ? undefined : await postgresRunStore(httpExecutor(c.env)).byId(outcome.runId);
    if (outcome.status === "skipped" && stored?.status !== "ok" && stored?.status !== "error") {
      // Another run holds the lock (or the keyed run is still running): nothing new happened.
      return problem(c, { status: 409, code: "advisor_run_in_progress", title: "Conflict", detail: outcome.reason ?? "another run is in progress" });
    }
    const body = stored === undefined ? { id: outcome.runId, status: outcome.status } : present(stored);
    return c.json(body, outcome.status === "ok" ? 201 : 200, NO_STORE);
  });
