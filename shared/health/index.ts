export {
  runHealthChecks,
  type CheckResult,
  type CheckStatus,
  type HealthCheckOptions,
  type HealthProbe,
  type HealthReport,
  type OverallStatus,
} from "./run-health-checks.ts";
