/**
 * One JSON line per event, so `wrangler tail` and Logpush can filter on fields.
 *
 * Every line passes through `redact` on its way out: fields named like a
 * credential are replaced, and strings are scrubbed of API keys (`nk_` tokens keep
 * only their public key id), bearer credentials, passwords inside URLs, and the
 * exact values of the secrets this isolate was configured with. A log line is
 * the wrong place for a secret even when a caller made a mistake.
 *
 * @example
 * rememberSecrets([config.admin.apiKey]);
 * logInfo("request", { requestId, authorization: "Bearer x" }); // {"authorization":"[redacted]",...}
 */
export type LogFields = Record<string, unknown>;

export const REDACTED = "[redacted]";

const SENSITIVE_FIELD = /authorization|cookie|password|passwd|secret|token|api[-_]?key|^key$|credential/i;
const API_TOKEN = /\bnk_([0-9a-f]{16})_[A-Za-z0-9_-]+/g;
const BEARER = /\b(Bearer|Basic)[ \t]+[^\s",;]+/gi;
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:)[^\s@/"]+@/gi;
/** Shorter values are too likely to occur by chance (and too weak to be real secrets). */
const MIN_SECRET_LENGTH = 8;
const MAX_SECRETS = 64;
const MAX_DEPTH = 6;

const secrets = new Set<string>();

/** Exact values to scrub from every line (configured secrets); bounded, values shorter than 8 chars ignored. */
export function rememberSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || secrets.has(value)) continue;
    if (secrets.size >= MAX_SECRETS) return;
    secrets.add(value);
  }
}

function scrub(text: string): string {
  let out = text.replace(API_TOKEN, `nk_$1_${REDACTED}`).replace(BEARER, `$1 ${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`);
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** A copy of `value` safe to log: see the module comment. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrub(value);
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_DEPTH) return "[truncated]";
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    out[name] = SENSITIVE_FIELD.test(name) && field !== undefined && field !== null ? REDACTED : redact(field, depth + 1);
  }
  return out;
}

function line(fields: LogFields): string {
  return JSON.stringify(redact(fields));
}

function errorFields(error: unknown): LogFields {
  if (error instanceof Error) return { error: error.message, errorName: error.name, stack: error.stack };
  return { error: String(error) };
}

export function logError(message: string, error: unknown, fields: LogFields = {}): void {
  console.error(line({ level: "error", message, ...fields, ...errorFields(error) }));
}

export function logInfo(message: string, fields: LogFields = {}): void {
  console.log(line({ level: "info", message, ...fields }));
}

export interface RequestLine {
  level: "info" | "error";
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  keyId?: string | undefined;
}

/**
 * The per-request line, the same as logInfo("request", ...) would write but without
 * the generic walk over the fields: only the strings a client chose (request id,
 * method, path) can carry a secret, so only they are scrubbed. It runs on every request.
 */
export function logRequest(fields: RequestLine): void {
  const { level, requestId, method, path, status, durationMs, keyId } = fields;
  const line = { level, message: "request", requestId: scrub(requestId), method: scrub(method), path: scrub(path), status, durationMs, ...(keyId ? { keyId } : {}) };
  console.log(JSON.stringify(line));
}
