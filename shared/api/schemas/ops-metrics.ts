/**
 * GET /v1/ops/metrics and /v1/ops/metrics/pipeline. The query's rules live in
 * parseMetricsQuery (shared/analytics/ops-metrics.ts); the schema runs it, so the
 * documented parameters and the validation are one thing.
 */
import { z } from "zod";
import { parseMetricsQuery } from "../../analytics/ops-metrics.ts";

const time = (description: string) =>
  z.string().optional().meta({
    description: `${description}: epoch milliseconds or ISO 8601 (a plain date is UTC; \`t\`/\`z\` in either case), within 1970-01-01 to 2106-02-07 (ClickHouse DateTime).`,
    example: "2026-11-29T00:00:00Z",
  });

export const MetricsQueryParams = z
  .strictObject({
    granularity: z.enum(["minute", "hour", "day"], { message: "must be minute, hour or day" }).optional().meta({ description: "Rollup to read (default hour)." }),
    from: time("Start (default: one span before `to`; spans are 1 h, 24 h, 30 d)"),
    to: time("End, exclusive (default now)"),
    route: z.string().optional().meta({ description: "A route pattern starting with / (or `(unmatched)`); all routes when absent.", example: "/v1/users/:id" }),
  })
  .superRefine((params, ctx) => {
    const parsed = parseMetricsQuery(params, Date.now());
    if (!parsed.ok) ctx.addIssue({ code: "custom", path: [parsed.field], message: parsed.message });
  })
  .meta({ description: "At most 24 h of minutes, 31 d of hours or 400 d of days; bounds align to the bucket." });

const MetricsPoint = z.object({
  t: z.string().meta({ description: "Bucket start (ISO 8601)." }),
  count: z.number(),
  errors: z.number(),
  errorRate: z.number(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  hitRatio: z.number().nullable().meta({ description: "(l1 + l2 + stale) / (those + misses); null when no request used the cache." }),
  dbMsAvg: z.number(),
});

export const MetricsSeries = z
  .object({
    granularity: z.enum(["minute", "hour", "day"]),
    from: z.string(),
    to: z.string(),
    route: z.string().nullable(),
    series: z.array(MetricsPoint),
  })
  .meta({ id: "MetricsSeries" });

const TableCounters = z.object({
  in: z.number().int().meta({ description: "Events recorded." }),
  stored: z.number().int().meta({ description: "Events ClickHouse acknowledged." }),
  dropped: z.number().int().meta({ description: "Events given up (overflow, retries exhausted)." }),
  queued: z.number().int(),
  failedInserts: z.number().int(),
});

export const PipelineStats = z
  .object({
    isolate: z.string(),
    configured: z.boolean().meta({ description: "False when ClickHouse is not configured (no counters then)." }),
    ...TableCounters.partial().shape,
    tables: z.record(z.string(), TableCounters).optional(),
  })
  .meta({ id: "PipelineStats", description: "This isolate's metrics pipeline counters: in = stored + dropped + queued." });
