/**
 * Points `@neondatabase/serverless` at the local Neon endpoint (scripts/local/neon)
 * instead of Neon's proxy. The config object is passed in so this file stays free of
 * any runtime import and works in Workers, Node and tests alike.
 *
 * @example
 * import { neonConfig } from "@neondatabase/serverless";
 * configureNeonForLocalEndpoint(neonConfig, "127.0.0.1:24444");
 */
import type { neonConfig as NeonConfigClass } from "@neondatabase/serverless";

export type NeonConfigStatics = typeof NeonConfigClass;

/** `endpoint` is the local endpoint's `host:port`, e.g. "127.0.0.1:24444". */
export function configureNeonForLocalEndpoint(neonConfig: NeonConfigStatics, endpoint: string): void {
  neonConfig.wsProxy = (host, port) => `${endpoint}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  // Both pipelining shortcuts assume Neon's proxy: pipelineConnect sends a cleartext
  // password before the server asks, which SCRAM and trust roles reject.
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
  neonConfig.fetchEndpoint = () => `http://${endpoint}/sql`;
  // Under Node the client batches writes on a timer rounded up to 1 ms, which would
  // dominate local round trips.
  neonConfig.coalesceWrites = false;
}
