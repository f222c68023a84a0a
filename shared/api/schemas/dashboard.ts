/** The dashboard's routes: sign-in form, asset names, and the overview API. */
import { z } from "zod";
import { RANGES } from "../../monitoring/dashboard-series.ts";

const RANGE_NAMES = Object.keys(RANGES) as [keyof typeof RANGES, ...(keyof typeof RANGES)[]];

export const OverviewQuery = z.object({
  range: z.enum(RANGE_NAMES, { message: `range must be one of ${RANGE_NAMES.join(", ")}` }).default("1h").meta({ description: "The time range shown." }),
});

/** An absent or empty key is refused by the handler (401 sign-in page), not by validation. */
export const LoginForm = z.object({ key: z.string().optional().meta({ description: "An API key with the ops scope." }) });

export const AssetParams = z.object({ name: z.string().meta({ example: "uplot.js" }) });

const part = <T extends z.ZodType>(data: T) =>
  z.union([z.object({ ok: z.literal(true), data }), z.object({ ok: z.literal(false), error: z.string() })]);

export const Overview = z
  .object({
    generatedAt: z.string(),
    range: z.enum(RANGE_NAMES),
    window: z.object({ from: z.number(), to: z.number(), stepSeconds: z.number() }),
    series: part(z.record(z.string(), z.unknown()).meta({ description: "Chart series from the rollups: t, requests, queries, websocket, ingestion, totals." })),
    alerts: part(z.record(z.string(), z.unknown()).meta({ description: "As GET /v1/ops/alerts." })),
    indexes: part(z.record(z.string(), z.unknown()).nullable().meta({ description: "The latest advisor run's recommendations and findings; null before the first run." })),
  })
  .meta({ id: "DashboardOverview", description: "Each part fails on its own (`ok: false` with a reason) instead of failing the whole answer." });
