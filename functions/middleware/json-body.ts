/**
 * Bodies must be JSON: 415 unsupported_media_type for any other (or no) content
 * type, 400 malformed_json for a body that does not parse. Parsing here also fills
 * Hono's body cache, so the zod validator that runs next reuses the parsed value.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { ProblemError } from "../../shared/api/problem.ts";

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json$/i;

export const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const contentType = c.req.header("content-type") ?? "";
  const mediaType = contentType.split(";")[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new ProblemError({
      status: 415,
      code: "unsupported_media_type",
      title: "Unsupported Media Type",
      detail: `The body must be application/json, not ${mediaType === "" ? "missing" : JSON.stringify(mediaType)}`,
    });
  }
  try {
    await c.req.json();
  } catch {
    throw new ProblemError({ status: 400, code: "malformed_json", title: "Malformed JSON", detail: "The request body is not valid JSON" });
  }
  await next();
};
