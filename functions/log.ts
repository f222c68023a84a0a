/** One JSON line per event, so `wrangler tail` and Logpush can filter on fields. */
export type LogFields = Record<string, unknown>;

function errorFields(error: unknown): LogFields {
  if (error instanceof Error) return { error: error.message, errorName: error.name, stack: error.stack };
  return { error: String(error) };
}

export function logError(message: string, error: unknown, fields: LogFields = {}): void {
  console.error(JSON.stringify({ level: "error", message, ...fields, ...errorFields(error) }));
}

export function logInfo(message: string, fields: LogFields = {}): void {
  console.log(JSON.stringify({ level: "info", message, ...fields }));
}
