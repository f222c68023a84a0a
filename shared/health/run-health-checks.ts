/**
 * Runtime-agnostic dependency health checks: every probe runs concurrently and
 * is bounded by a timeout, so a hanging dependency reports `down` at the
 * timeout instead of hanging the caller. Probes receive an AbortSignal that
 * fires at the timeout, so they can cancel their own I/O.
 */

/** A probe resolves when the dependency answers and rejects (or times out) otherwise. */
export type HealthProbe = (signal: AbortSignal) => Promise<unknown>;

export type CheckStatus = "ok" | "down";
export type OverallStatus = "ok" | "degraded" | "down";

export interface CheckResult {
  status: CheckStatus;
  latencyMs: number;
  error?: string;
}

export interface HealthReport<Name extends string = string> {
  status: OverallStatus;
  checks: Record<Name, CheckResult>;
}

export interface HealthCheckOptions {
  timeoutMs: number;
  /** Millisecond clock; injectable so tests and runtimes pick their own. */
  now?: () => number;
}

/** Error messages end up in a public JSON body: keep them short and single-line. */
const MAX_ERROR_LENGTH = 200;

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  const line = text.replace(/\s+/g, " ").trim() || "failed";
  return line.length > MAX_ERROR_LENGTH ? `${line.slice(0, MAX_ERROR_LENGTH - 1)}…` : line;
}

async function runOne(probe: HealthProbe, timeoutMs: number, now: () => number): Promise<CheckResult> {
  const controller = new AbortController();
  const started = now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`timed out after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    // The probe is invoked inside the race so a synchronous throw is caught too.
    await Promise.race([Promise.resolve().then(() => probe(controller.signal)), timeout]);
    return { status: "ok", latencyMs: Math.max(0, now() - started) };
  } catch (error) {
    return { status: "down", latencyMs: Math.max(0, now() - started), error: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

function overall(results: readonly CheckResult[]): OverallStatus {
  const down = results.filter((r) => r.status === "down").length;
  if (down === 0) return "ok";
  return down === results.length ? "down" : "degraded";
}

/**
 * Runs every probe at once, each bounded by `timeoutMs`.
 *
 * @example
 * const report = await runHealthChecks(
 *   { redis: () => redis.ping(), postgres: (signal) => sql.query("select 1", [], { fetchOptions: { signal } }) },
 *   { timeoutMs: 1500 },
 * );
 * report.status; // "ok" | "degraded" | "down"
 */
export async function runHealthChecks<Name extends string>(
  checks: Record<Name, HealthProbe>,
  { timeoutMs, now = () => Date.now() }: HealthCheckOptions,
): Promise<HealthReport<Name>> {
  const names = Object.keys(checks) as Name[];
  const results = await Promise.all(names.map((name) => runOne(checks[name], timeoutMs, now)));
  const byName = {} as Record<Name, CheckResult>;
  names.forEach((name, i) => {
    byName[name] = results[i] as CheckResult;
  });
  return { status: overall(results), checks: byName };
}
