/**
 * The env of a benchmark's Worker snapshot (scripts/lib/worker-snapshot.ts): its
 * directory has no .dev.vars, so every setting is passed with --var. Limits are raised
 * so no 429 is counted, and the user TTL outlives the run so one warm user stays an
 * L1 hit (the default is 60 s).
 */
import { localUrls } from "../lib/local-config.ts";
import { LOCAL_ROOM_TOKEN_SECRET } from "../services/stack.ts";

export function snapshotVars(databaseUrl: string, adminKey: string, overrides: Record<string, string> = {}): Record<string, string> {
  const vars: Record<string, string> = {
    ...localUrls(),
    DATABASE_URL: databaseUrl,
    API_ADMIN_KEY: adminKey,
    ROOM_TOKEN_SECRET: LOCAL_ROOM_TOKEN_SECRET,
    RATE_LIMIT_KEY_REQUESTS: "100000000",
    RATE_LIMIT_IP_REQUESTS: "100000000",
    CACHE_TTL_USER_DATA_SECONDS: "3600",
    ...overrides,
  };
  // A local-only variable the Worker does not read.
  delete vars.REDIS_URL;
  return vars;
}
