/** GET /v1/ops/alerts: active alerts, recent events and the rules. */
import { z } from "zod";

export const AlertsQuery = z.object({
  limit: z
    .string()
    // The pattern alone is the rule, so the document says exactly what is accepted.
    .regex(/^(?:[1-9][0-9]?|1[0-9]{2}|200)$/, "limit must be an integer from 1 to 200")
    .optional()
    .meta({ description: "How many recent events (1-200, default 50).", example: "50" }),
});

const Severity = z.enum(["info", "warning", "critical"]);

const ActiveAlert = z.object({
  ruleId: z.string(),
  name: z.string(),
  severity: Severity,
  metric: z.string(),
  route: z.string().nullable(),
  status: z.enum(["pending", "firing"]),
  activeSince: z.string().nullable(),
  firingSince: z.string().nullable(),
  evaluatedAt: z.string(),
  value: z.number().nullable(),
  display: z.string(),
  bound: z.number().nullable(),
  samples: z.number(),
  notified: z.boolean(),
});

const AlertEvent = z.object({
  id: z.string(),
  kind: z.enum(["firing", "resolved"]),
  ruleId: z.string(),
  name: z.string(),
  severity: Severity,
  metric: z.string(),
  route: z.string().nullable(),
  at: z.string(),
  value: z.number().nullable(),
  bound: z.number().nullable(),
  samples: z.number(),
  summary: z.string(),
  notified: z.boolean(),
  activeSince: z.string().nullable(),
  firingSince: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});

export const AlertsListing = z
  .object({
    generatedAt: z.string(),
    active: z.array(ActiveAlert),
    recent: z.array(AlertEvent),
    rules: z.array(z.object({ id: z.string(), name: z.string(), severity: Severity, metric: z.string(), kind: z.string(), route: z.string().nullable() })),
  })
  .meta({ id: "AlertsListing" });
