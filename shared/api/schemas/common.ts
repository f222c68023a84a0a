/**
 * Building blocks shared by the API's request and response schemas. Plain zod
 * with `.meta()` (id, description, example): @hono/zod-openapi turns the same
 * schemas into the OpenAPI 3.1 document, so what validates is what is documented.
 */
import { z } from "zod";
import { MAX_CURSOR_LENGTH, CURSOR_PATTERN } from "../cursor.ts";
import { unstorableJsonPath, unstorableTextReason } from "../text.ts";

const INT8_MAX = 9223372036854775807n;
export const ID_PATTERN = /^[1-9][0-9]{0,18}$/;

/** A bigint primary key as a decimal string (ids above 2^53 do not survive JSON numbers). */
export const Id = z
  .string()
  .regex(ID_PATTERN, "must be a positive integer id")
  // zod runs every check even after one fails: only a well-formed id reaches BigInt().
  .refine((id) => !ID_PATTERN.test(id) || BigInt(id) <= INT8_MAX, "must be a positive integer id below 2^63")
  .meta({ description: "A positive integer id, as a decimal string.", example: "42" });

/** An id in a body: a decimal string, or a JSON number for convenience. */
export const IdInput = z
  .union([Id, z.number().int().positive().max(Number.MAX_SAFE_INTEGER).transform(String)])
  .meta({ description: "A positive integer id: decimal string or integer.", example: "42" });

/** Text stored as sent: no NUL, no lone surrogates, at most `max` characters. */
export function storableText(max: number, min = 0) {
  return z
    .string()
    .min(min, min === 1 ? "must not be empty" : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .superRefine((text, ctx) => {
      const reason = unstorableTextReason(text);
      if (reason !== undefined) ctx.addIssue({ code: "custom", message: reason });
    });
}

const MAX_JSON_BYTES = 64 * 1024;

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A JSON object stored as jsonb: every key and string storable, at most 64 KiB encoded.
 * The parsed body passes through as it is: z.record rebuilds the object by assignment,
 * and assigning an own `__proto__` key sets the prototype instead, so the key vanished.
 */
export const JsonObject = z
  .custom<Record<string, unknown>>(isJsonObject, "must be a JSON object")
  .superRefine((value, ctx) => {
    const bad = unstorableJsonPath(value);
    if (bad !== undefined) ctx.addIssue({ code: "custom", path: bad.path, message: bad.reason });
    else if (new TextEncoder().encode(JSON.stringify(value)).length > MAX_JSON_BYTES) {
      ctx.addIssue({ code: "custom", message: `must be at most ${MAX_JSON_BYTES} bytes as JSON` });
    }
  })
  // z.custom has no JSON Schema of its own: this is what z.record documented.
  .meta({
    type: "object",
    propertyNames: { type: "string" },
    additionalProperties: {},
    description: "A JSON object (stored as jsonb).",
    example: { source: "api" },
  } as Record<string, unknown>);

const TIMESTAMP_META = { description: "RFC 3339 date-time with a time zone offset.", example: "2026-11-29T06:00:00.000Z" };

/** A date-time the API answers with (always `toISOString()` form). */
export const Timestamp = z.iso.datetime({ offset: true }).meta(TIMESTAMP_META);

const RFC3339 = z.iso.datetime({ offset: true });
const TIMESTAMP_MESSAGE = "must be an RFC 3339 date-time with a time zone";
/** The instants Postgres returns as a four-digit year (toISOString() writes others as `+010000-...`). */
const MIN_INSTANT_MS = Date.parse("0001-01-01T00:00:00Z");
const MAX_INSTANT_MS = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * A date-time the API accepts: RFC 3339 (section 5.6 allows a lower-case `t` and `z`),
 * passed on in upper case; its instant in UTC must fall in years 0001-9999, so that
 * `9999-12-31T23:59:59-15:00` (year 10000 in UTC) is refused rather than stored and
 * answered as an invalid `date-time`.
 */
export const TimestampInput = z
  .string()
  .transform((text, ctx) => {
    const upper = text.toUpperCase();
    if (!RFC3339.safeParse(upper).success) {
      ctx.addIssue({ code: "custom", message: TIMESTAMP_MESSAGE });
      return z.NEVER;
    }
    const instant = Date.parse(upper);
    if (!(instant >= MIN_INSTANT_MS && instant <= MAX_INSTANT_MS)) {
      ctx.addIssue({ code: "custom", message: "must fall in years 0001-9999 once converted to UTC" });
      return z.NEVER;
    }
    return upper;
  })
  .meta({ ...TIMESTAMP_META, format: "date-time" });

export const Limit = z.coerce
  .number({ message: "must be a number" })
  .int("must be an integer")
  .min(1, "must be >= 1")
  .max(100, "must be <= 100")
  .default(20)
  .meta({ description: "Page size (1-100).", example: 20 });

export const Cursor = z
  .string()
  .max(MAX_CURSOR_LENGTH, `must be at most ${MAX_CURSOR_LENGTH} characters`)
  .regex(CURSOR_PATTERN, "must be a cursor returned by this API")
  .meta({ description: "Opaque cursor from a previous page's nextCursor." });

export function page<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page." }),
    })
    .meta({ id });
}

export const ValidationIssue = z
  .object({
    in: z.enum(["body", "query", "path", "header"]),
    path: z.string().meta({ description: "Dotted path of the field within its location.", example: "email" }),
    message: z.string(),
  })
  .meta({ id: "ValidationIssue" });

/** RFC 9457 problem details, as every error of this API is answered. */
export const Problem = z
  .object({
    type: z.string().meta({ description: "`urn:netra-edge:problem:<code>`: stable, one per code.", example: "urn:netra-edge:problem:validation_failed" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string().meta({ description: "Stable, machine-readable error code.", example: "validation_failed" }),
    requestId: z.string().optional(),
    errors: z.array(ValidationIssue).optional(),
    field: z.string().optional().meta({ description: "The offending parameter (invalid_parameter)." }),
  })
  .meta({ id: "Problem" });
