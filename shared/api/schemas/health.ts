/** GET /health: each dependency's probe, and the overall status (503 unless ok). */
import { z } from "zod";
import { DEPENDENCIES } from "../../health/dependency-probes.ts";

const CheckResult = z.object({
  status: z.enum(["ok", "down"]),
  latencyMs: z.number(),
  error: z.string().optional().meta({ description: "Why the probe failed (timeout, refused, ...)." }),
});

export const HealthReport = z
  .object({
    status: z.enum(["ok", "degraded", "down"]),
    checks: z.record(z.enum(DEPENDENCIES), CheckResult),
  })
  .meta({ id: "HealthReport", description: "Every dependency probed concurrently, each bounded by HEALTH_CHECK_TIMEOUT_MS." });
