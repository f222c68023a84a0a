/**
 * Writes replies as Upstash REST JSON.
 *
 * With `Upstash-Encoding: base64` every string is sent as base64 of its bytes,
 * except a result that is exactly `OK`: @upstash/redis passes a bare top-level
 * `"OK"` through but base64-decodes every first-level array element
 * unconditionally, so an `OK` inside an array must be encoded like any other
 * string or the client would read it as "8".
 * Integers are written as JSON numbers with all their digits, nil as null.
 */
import { CommandError, isBytes, type Outcome, type RedisReply } from "./reply.ts";

export interface EncodeOptions {
  base64: boolean;
}

const OK = Buffer.from("OK");

function stringJson(bytes: Buffer, options: EncodeOptions): string {
  return JSON.stringify(options.base64 ? bytes.toString("base64") : bytes.toString("utf8"));
}

function valueJson(reply: RedisReply, options: EncodeOptions): string {
  if (reply === null) return "null";
  if (typeof reply === "bigint") return reply.toString();
  if (Array.isArray(reply)) return `[${reply.map((item) => valueJson(item, options)).join(",")}]`;
  if (reply instanceof CommandError) return stringJson(Buffer.from(reply.message), options);
  return stringJson(reply, options);
}

/** The JSON for one command's `result` field. */
export function resultJson(reply: RedisReply, options: EncodeOptions): string {
  if (isBytes(reply) && reply.equals(OK)) return '"OK"';
  return valueJson(reply, options);
}

/** `{"result": ...}` or `{"error": "..."}`; error text is never encoded. */
export function outcomeJson(outcome: Outcome, options: EncodeOptions): string {
  return outcome.ok
    ? `{"result":${resultJson(outcome.reply, options)}}`
    : `{"error":${JSON.stringify(outcome.error)}}`;
}

export function outcomesJson(outcomes: readonly Outcome[], options: EncodeOptions): string {
  return `[${outcomes.map((outcome) => outcomeJson(outcome, options)).join(",")}]`;
}

export function errorJson(message: string): string {
  return JSON.stringify({ error: message });
}
