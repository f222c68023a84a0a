/** The index advisor's routes: run ids, the idempotency header, a stored run. */
import { z } from "zod";

export const RunIdParams = z.object({
  id: z.string().regex(/^[1-9][0-9]{0,17}$/, "A run id is a positive integer").meta({ example: "12" }),
});

export const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[!-~]{1,128}$/, "Idempotency-Key must be 1-128 printable ASCII characters")
    .optional()
    .meta({ description: "A retry with the same key returns the first run instead of starting another." }),
});

/** One applied index as measured after its build (shared/db/advisor/verify.ts `Verification`). */
export const IndexImpact = z
  .object({
    name: z.string(),
    table: z.string().meta({ description: "schema.table" }),
    verdict: z.enum(["held", "below_prediction", "slowed_writes", "unmeasured"]),
    action: z.enum(["kept", "dropped", "reported", "pending"]).meta({ description: "dropped: apply mode, the verdict failed; reported: what-if mode, it failed; pending: none of its statements ran yet." }),
    reason: z.string(),
    predictedSaving: z.number().meta({ description: "Share of its statements' planner cost the index was predicted to save." }),
    measuredSaving: z.number().nullable().meta({ description: "Share of its statements' time it saved, measured." }),
    statements: z.array(
      z.object({
        queryid: z.string(),
        beforeMs: z.number().meta({ description: "Mean ms per call before the build." }),
        afterMs: z.number().nullable().meta({ description: "Mean ms per call since the build (pg_stat_statements deltas); null when it did not run." }),
        calls: z.number(),
      }),
    ),
    sizeBytes: z.number().nullable(),
    writeBeforeMs: z.number().nullable().meta({ description: "Mean ms per write statement on its table before the build." }),
    writeAfterMs: z.number().nullable().meta({ description: "... and since the build: the write cost." }),
    measuredAt: z.string().optional(),
    carried: z.literal(true).optional().meta({ description: "Measured by an earlier run; the index is still in place." }),
    error: z.string().optional(),
  })
  .meta({ id: "IndexImpact" });

export const AdvisorRun = z
  .object({
    id: z.string(),
    trigger: z.enum(["cron", "manual", "cli"]),
    status: z.enum(["running", "ok", "error", "skipped"]),
    apply: z.boolean(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    summary: z.record(z.string(), z.unknown()).meta({ description: "Counts (statements, candidates, recommendations, ...) and a skip reason." }),
    error: z.string().nullable(),
    report: z
      .looseObject({
        verification: z.array(IndexImpact).meta({ description: "Each applied index's measured impact: the builds this run judged, and earlier measurements of indexes still in place (`carried`)." }),
      })
      .nullable()
      .meta({ description: "The advisor's report (null until the run finished): recommendations (with DDL and evidence), per-statement coverage with representative values' sources, findings, capabilities and `verification`." }),
  })
  .meta({ id: "AdvisorRun" });

export const StartedRun = z.union([
  AdvisorRun,
  z.object({ id: z.string().optional(), status: z.enum(["running", "ok", "error", "skipped"]) }).meta({ description: "A run that was not stored." }),
]);
