/**
 * The process wrapper every local endpoint CLI shares: start, log one line, close
 * cleanly on SIGINT/SIGTERM (a second signal falls back to Node's default: exit at
 * once), and turn a start-up failure into one line and exit code 1.
 */
export interface Closable {
  close(): Promise<void>;
}

export function runEndpoint(name: string, start: () => Promise<{ endpoint: Closable; banner: string }>): void {
  start().then(
    ({ endpoint, banner }) => {
      console.log(`[${name}] ${banner}`);
      const stop = (signal: NodeJS.Signals) => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        endpoint.close().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(`[${name}] error while stopping on ${signal}: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    },
    (error: unknown) => {
      console.error(`[${name}] ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
