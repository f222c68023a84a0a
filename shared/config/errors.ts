/** The typed errors configuration raises. */
/** One rejected variable: its env name and why. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Raised when the env cannot be turned into a valid config. */
export class ConfigError extends Error {
  readonly code = "config_invalid";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }

  /** The first variable at fault: enough to tell an operator where to look. */
  get variable(): string {
    return this.issues[0]?.variable ?? "";
  }
}

/** Raised when a client is asked for while its dependency has no connection settings. */
export class NotConfiguredError extends Error {
  readonly code = "not_configured";
  constructor() {
    super("not configured");
    this.name = "NotConfiguredError";
  }
}

