/**
 * Where the local service stack lives: ports, state directory and the URLs each
 * client uses. Every value can be overridden by an environment variable, so two
 * stacks (or a stack and a CI run) can sit side by side.
 */
import { join } from "node:path";

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  }
  return value;
}

/*
 * Default ports sit below Linux's ephemeral range (32768-60999): a listener there can
 * lose its port to some client's outgoing connection and fail to start at random.
 */
export interface LocalConfig {
  stateDir: string;
  postgres: { port: number; dataDir: string; user: string; password: string; database: string };
  redis: { port: number };
  upstash: { port: number; token: string };
  neon: { port: number; delayMs: number };
  clickhouse: { port: number; dataDir: string; user: string; password: string; database: string };
  wrangler: { port: number; inspectorPort: number };
}

export function localConfig(): LocalConfig {
  const stateDir = process.env.NETRA_STATE_DIR ?? "/tmp/netra-edge";
  return {
    stateDir,
    postgres: {
      port: port("NETRA_PG_PORT", 25432),
      dataDir: join(stateDir, "postgres"),
      user: "netra",
      password: "netra-local",
      database: "netra",
    },
    redis: { port: port("NETRA_REDIS_PORT", 26379) },
    upstash: { port: port("NETRA_UPSTASH_PORT", 28079), token: "netra-local-upstash-token" },
    neon: { port: port("NETRA_NEON_PORT", 24444), delayMs: Number(process.env.NETRA_NEON_DELAY_MS ?? 0) },
    clickhouse: {
      port: port("NETRA_CLICKHOUSE_PORT", 28123),
      dataDir: join(stateDir, "clickhouse"),
      user: "default",
      password: "",
      database: "netra",
    },
    wrangler: { port: port("NETRA_WRANGLER_PORT", 8787), inspectorPort: port("NETRA_WRANGLER_INSPECTOR_PORT", 9329) },
  };
}

/** The connection URLs a client of the local stack uses, named as production names them. */
export function localUrls(cfg: LocalConfig = localConfig()) {
  const pg = cfg.postgres;
  return {
    DATABASE_URL: `postgres://${pg.user}:${pg.password}@localhost:${pg.port}/${pg.database}`,
    REDIS_URL: `redis://127.0.0.1:${cfg.redis.port}`,
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${cfg.upstash.port}`,
    UPSTASH_REDIS_REST_TOKEN: cfg.upstash.token,
    NEON_LOCAL_ENDPOINT: `127.0.0.1:${cfg.neon.port}`,
    CLICKHOUSE_URL: `http://127.0.0.1:${cfg.clickhouse.port}`,
    CLICKHOUSE_USER: cfg.clickhouse.user,
    CLICKHOUSE_PASSWORD: cfg.clickhouse.password,
    CLICKHOUSE_DATABASE: cfg.clickhouse.database,
  };
}
