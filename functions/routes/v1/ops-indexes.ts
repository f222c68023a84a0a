/**
 * The index advisor over HTTP (scope "ops"):
 * - GET  /v1/ops/indexes           the latest finished run's report
 * - GET  /v1/ops/indexes/runs/:id  one run (any status)
 * - POST /v1/ops/indexes/runs      run now; `Idempotency-Key` makes a retry return the first run
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { AdvisorRun, IdempotencyHeaders, RunIdParams, StartedRun } from "../../../shared/api/schemas/ops-indexes.ts";
import type { StoredRun } from "../../../shared/db/advisor/store.ts";
import type { AppEnv } from "../../env.ts";
import { requireServices } from "../../middleware/services.ts";
import { runIndexAnalysis } from "../../cron/index-analysis.ts";
import { ProblemError } from "../../../shared/api/problem.ts";
import { jsonContent, problemCodes, rejectAs, scopedRoute } from "./define.ts";

const NO_STORE = { "cache-control": "no-store" };

function present(run: StoredRun) {
  return { id: run.id, trigger: run.trigger, status: run.status, apply: run.apply, startedAt: run.startedAt, finishedAt: run.finishedAt, summary: run.summary, error: run.error, report: run.report };
}

const latest = scopedRoute("ops", {
  method: "get",
  path: "/ops/indexes",
  operationId: "getLatestIndexReport",
  tags: ["ops"],
  summary: "The index advisor's latest finished run",
  responses: { 200: jsonContent(AdvisorRun, "The run and its report"), ...problemCodes("no_advisor_run") },
});

const byId = scopedRoute("ops", {
  method: "get",
  path: "/ops/indexes/runs/{id}",
  operationId: "getIndexRun",
  tags: ["ops"],
  summary: "One index advisor run (any status)",
  request: { params: RunIdParams },
  responses: { 200: jsonContent(AdvisorRun, "The run"), ...problemCodes("invalid_run_id", "advisor_run_not_found") },
});

const start = scopedRoute("ops", {
  method: "post",
  path: "/ops/indexes/runs",
  operationId: "startIndexRun",
  tags: ["ops"],
  summary: "Run the index advisor now",
  request: { headers: IdempotencyHeaders },
  responses: {
    200: jsonContent(StartedRun, "Not started: the run this Idempotency-Key already made, or a skipped run"),
    201: jsonContent(StartedRun, "Ran and finished"),
    ...problemCodes("invalid_idempotency_key", "advisor_run_in_progress", "advisor_run_failed"),
  },
});

export const opsIndexRoutes = new OpenAPIHono<AppEnv>()
  .openapi(latest, async (c) => {
    const run = await requireServices(c).advisorRuns.latest();
    if (run === undefined) {
      throw new ProblemError({ status: 404, code: "no_advisor_run", title: "Not Found", detail: "The index advisor has not finished a run yet; POST /v1/ops/indexes/runs starts one" });
    }
    return c.json(present(run), 200, NO_STORE);
  })
  .openapi(
    byId,
    async (c) => {
      const { id } = c.req.valid("param");
      const run = await requireServices(c).advisorRuns.byId(id);
      if (run === undefined) {
        throw new ProblemError({ status: 404, code: "advisor_run_not_found", title: "Not Found", detail: `No index advisor run ${id}` });
      }
      return c.json(present(run), 200, NO_STORE);
    },
    rejectAs("invalid_run_id"),
  )
  .openapi(
    start,
    async (c) => {
      const key = c.req.valid("header")["idempotency-key"];
      const outcome = await runIndexAnalysis(requireServices(c), "manual", `manual:${key ?? crypto.randomUUID()}`);
      if (outcome.status === "error") {
        throw new ProblemError({ status: 502, code: "advisor_run_failed", title: "Bad Gateway", detail: `The index advisor run ${outcome.runId ?? ""} failed: ${outcome.reason ?? "unknown error"}` });
      }
      const stored = outcome.runId === undefined ? undefined : await requireServices(c).advisorRuns.byId(outcome.runId);
      if (outcome.status === "skipped" && stored?.status !== "ok" && stored?.status !== "error") {
        // Another run holds the lock (or the keyed run is still running): nothing new happened.
        throw new ProblemError({ status: 409, code: "advisor_run_in_progress", title: "Conflict", detail: outcome.reason ?? "another run is in progress" });
      }
      const body = stored === undefined ? { id: outcome.runId, status: outcome.status } : present(stored);
      return outcome.status === "ok" ? c.json(body, 201, NO_STORE) : c.json(body, 200, NO_STORE);
    },
    rejectAs("invalid_idempotency_key"),
  );
