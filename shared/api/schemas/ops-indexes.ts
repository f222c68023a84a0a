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
    report: z.unknown().meta({ description: "The advisor's report: recommendations (with DDL and evidence), per-statement coverage, findings, capabilities, and `verification`: each earlier applied index measured after its build (mean ms before/after per statement, size, write latency on its table, verdict and action)." }),
  })
  .meta({ id: "AdvisorRun" });

export const StartedRun = z.union([
  AdvisorRun,
  z.object({ id: z.string().optional(), status: z.enum(["running", "ok", "error", "skipped"]) }).meta({ description: "A run that was not stored." }),
]);
