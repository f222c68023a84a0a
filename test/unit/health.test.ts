import { describe, expect, it } from "vitest";
import { runHealthChecks } from "../../shared/health/index.ts";

const TIMEOUT_MS = 100;

describe("runHealthChecks", () => {
  it("reports a hanging probe down at the timeout while the others report their own outcome", async () => {
    let hangingSignal: AbortSignal | undefined;
    const started = Date.now();
    const report = await runHealthChecks(
      {
        hangs: (signal) => {
          hangingSignal = signal;
          return new Promise(() => {});
        },
        throws: async () => {
          throw new Error("connection refused");
        },
        ok: async () => "PONG",
      },
      { timeoutMs: TIMEOUT_MS },
    );
    const elapsed = Date.now() - started;

    expect(report.status).toBe("degraded");
    expect(report.checks.hangs).toMatchObject({ status: "down", error: `timed out after ${TIMEOUT_MS} ms` });
    expect(report.checks.hangs.latencyMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(report.checks.throws).toMatchObject({ status: "down", error: "connection refused" });
    expect(report.checks.ok.status).toBe("ok");
    expect(report.checks.ok.error).toBeUndefined();
    expect(hangingSignal?.aborted).toBe(true);
    expect(elapsed).toBeLessThan(TIMEOUT_MS * 3);
  });

  it("runs probes concurrently, so total time is the slowest probe, not the sum", async () => {
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 60));
    const started = Date.now();
    const report = await runHealthChecks({ a: sleep, b: sleep, c: sleep, d: sleep }, { timeoutMs: 1000 });
    expect(report.status).toBe("ok");
    expect(Date.now() - started).toBeLessThan(200);
  });

  it("measures latency with the injected clock", async () => {
    let t = 1000;
    const report = await runHealthChecks(
      {
        slow: async () => {
          t += 42;
        },
      },
      { timeoutMs: TIMEOUT_MS, now: () => t },
    );
    expect(report.checks.slow).toEqual({ status: "ok", latencyMs: 42 });
  });

  it("is down overall when every probe fails, including a synchronous throw", async () => {
    const report = await runHealthChecks(
      {
        sync: () => {
          throw new Error("boom");
        },
        rejects: () => Promise.reject("plain string"),
      },
      { timeoutMs: TIMEOUT_MS },
    );
    expect(report.status).toBe("down");
    expect(report.checks.sync.error).toBe("boom");
    expect(report.checks.rejects.error).toBe("plain string");
  });

  it("keeps error messages to one short line", async () => {
    const report = await runHealthChecks(
      {
        noisy: async () => {
          throw new Error(`line one\n${"x".repeat(500)}`);
        },
      },
      { timeoutMs: TIMEOUT_MS },
    );
    const error = report.checks.noisy.error ?? "";
    expect(error).not.toContain("\n");
    expect(error.length).toBeLessThanOrEqual(200);
  });
});
