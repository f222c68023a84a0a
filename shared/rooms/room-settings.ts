/**
 * A room's settings: the batcher's, plus its inbound limits. Defaults come from the
 * `websocket` config section; a room can be reconfigured at run time (the room's
 * authenticated PATCH), e.g. to turn batching off for a baseline.
 *
 * @example
 * const settings = applySettingsPatch(roomDefaults(loadRoomConfig(env).websocket), { enabled: false });
 */
import type { WebSocketBatchingConfig } from "../config.ts";
import type { BatcherSettings } from "../batching/message-batcher-types.ts";
import { MAX_PRIORITY, RoomInputError } from "./protocol.ts";

export interface RoomSettings extends BatcherSettings {
  maxMessageBytes: number;
  inboundRatePerSecond: number;
  inboundBurst: number;
}

/** A socket holding this many unsent batches counts as backed up. */
const HIGH_WATER_BATCHES = 16;

export function roomDefaults(ws: Readonly<WebSocketBatchingConfig>): RoomSettings {
  return {
    enabled: true,
    maxWaitMs: ws.maxWaitMs,
    maxBatchSize: ws.maxBatchSize,
    maxBatchBytes: ws.maxBatchBytes,
    priorityThreshold: ws.priorityThreshold,
    adaptive: true,
    adaptiveMin: ws.adaptiveMinBatch,
    adaptiveMax: ws.adaptiveMaxBatch,
    queueLimit: ws.queueLimit,
    highWaterBytes: ws.maxBatchBytes * HIGH_WATER_BATCHES,
    maxMessageBytes: ws.maxMessageBytes,
    inboundRatePerSecond: ws.inboundRatePerSecond,
    inboundBurst: ws.inboundBurst,
  };
}

/** Integer settings a patch may change, with their bounds. */
const INTEGER_BOUNDS: Partial<Record<keyof RoomSettings, [number, number]>> = {
  maxWaitMs: [0, 60_000],
  maxBatchSize: [1, 10_000],
  maxBatchBytes: [1024, 16 * 1024 * 1024],
  priorityThreshold: [0, MAX_PRIORITY + 1],
  adaptiveMin: [1, 10_000],
  adaptiveMax: [1, 10_000],
  queueLimit: [1, 1_000_000],
  highWaterBytes: [0, 1024 * 1024 * 1024],
  maxMessageBytes: [64, 1024 * 1024],
  inboundRatePerSecond: [1, 1_000_000],
  inboundBurst: [1, 1_000_000],
};
const BOOLEANS: readonly (keyof RoomSettings)[] = ["enabled", "adaptive"];

/** Merge a JSON patch into `current`; throws RoomInputError("bad_message") naming the bad field. */
export function applySettingsPatch(current: RoomSettings, patch: unknown): RoomSettings {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    throw new RoomInputError("bad_message", "settings must be a JSON object");
  }
  const next: RoomSettings = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    const bounds = INTEGER_BOUNDS[key as keyof RoomSettings];
    if (bounds !== undefined) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < bounds[0] || value > bounds[1]) {
        throw new RoomInputError("bad_message", `${key} must be an integer ${bounds[0]}-${bounds[1]}`);
      }
      (next as unknown as Record<string, number>)[key] = value;
    } else if (BOOLEANS.includes(key as keyof RoomSettings)) {
      if (typeof value !== "boolean") throw new RoomInputError("bad_message", `${key} must be a boolean`);
      (next as unknown as Record<string, boolean>)[key] = value;
    } else {
      throw new RoomInputError("bad_message", `unknown setting ${key.slice(0, 64)}`);
    }
  }
  if (next.adaptiveMin > next.adaptiveMax) throw new RoomInputError("bad_message", "adaptiveMin must be <= adaptiveMax");
  return next;
}
