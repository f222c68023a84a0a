/** The batcher settings the unit tests start from: 100 ms / 10 messages, not adaptive. */
import type { BatcherSettings } from "../../shared/batching/message-batcher-types.ts";

export const BASE_BATCHER_SETTINGS: Readonly<BatcherSettings> = Object.freeze({
  enabled: true,
  maxWaitMs: 100,
  maxBatchSize: 10,
  maxBatchBytes: 64 * 1024,
  priorityThreshold: 3,
  adaptive: false,
  adaptiveMin: 2,
  adaptiveMax: 50,
  queueLimit: 1000,
  highWaterBytes: 1024 * 1024,
});
