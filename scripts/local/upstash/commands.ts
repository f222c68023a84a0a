/**
 * Turns request bodies and paths into Redis commands, rejecting anything that
 * is not a non-empty list of strings, numbers or booleans.
 */
import { badRequest } from "./errors.ts";

export type CommandArgument = string | Buffer;
/** A command name followed by its arguments; never empty. */
export type Command = [CommandArgument, ...CommandArgument[]];

function argument(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  // @upstash/redis sends numbers and booleans as JSON literals (`["incrby","k",5]`).
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  throw badRequest(`${where} must be a string, number or boolean, got ${got}`);
}

function command(value: unknown, where: string): Command {
  if (!Array.isArray(value)) throw badRequest(`${where} must be a JSON array like ["set","key","value"]`);
  const [name, ...rest] = value.map((item, i) => argument(item, `${where}[${i}]`));
  if (name === undefined) throw badRequest(`${where} is an empty command`);
  return [name, ...rest];
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw badRequest("request body is empty; expected a JSON array");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw badRequest(`request body is not valid JSON (${(error as Error).message})`);
  }
}

/** `POST /` body: `["set","k","v"]`. */
export function parseCommand(json: unknown): Command {
  return command(json, "command");
}

/** `POST /pipeline` and `POST /multi-exec` bodies: `[["set","k","v"],["get","k"]]`. */
export function parseCommandList(json: unknown): Command[] {
  if (!Array.isArray(json)) throw badRequest('body must be a JSON array of commands like [["set","k","v"]]');
  if (json.length === 0) throw badRequest("body holds no commands");
  return json.map((item, i) => command(item, `command ${i + 1}`));
}

/**
 * `GET /set/key/value`, or `POST /set/key` with the value as the raw body
 * (sent as bytes, so binary values need no JSON escaping).
 */
export function commandFromPath(pathname: string, body: Buffer): Command {
  const segments = pathname.split("/").slice(1);
  if (segments.at(-1) === "") segments.pop();
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw badRequest(`path ${pathname} is not valid percent-encoding`);
  }
  const [name, ...rest] = decoded;
  if (name === undefined || name === "") {
    throw badRequest('no command: POST a JSON array like ["ping"] to /, or request /<command>/<arg>...');
  }
  return body.length > 0 ? [name, ...rest, body] : [name, ...rest];
}
