/** One service of the local stack, as the `services` command drives it. */
export interface ServiceStatus {
  up: boolean;
  pid: number | undefined;
  url: string;
}

export interface Service {
  name: string;
  port: number;
  logFile: string;
  /** Start it unless it already runs; resolves with what happened ("started", "already up"). */
  up(): Promise<string>;
  /** Stop it if we started it; resolves with what happened. */
  down(): Promise<string>;
  status(): Promise<ServiceStatus>;
}
