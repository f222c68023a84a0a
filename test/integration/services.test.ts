import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnedService } from "../../scripts/services/spawned.ts";

// A second, private redis-server managed the way `npm run services` manages the real one.
const stateDir = mkdtempSync(join(tmpdir(), "netra-services-test-"));
let foreign: Server;
let foreignPort = 0;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function redisService(port: number, command = "redis-server") {
  return spawnedService({
    name: "redis-under-test",
    port,
    url: `redis://127.0.0.1:${port}`,
    stateDir,
    command,
    args: ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"],
    readyTimeoutMs: 5_000,
  });
}

beforeAll(async () => {
  foreign = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => foreign.once("listening", r));
  foreignPort = (foreign.address() as { port: number }).port;
});

afterAll(() => {
  foreign.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("the local service manager", () => {
  it("refuses a port held by another process with a one-line error", async () => {
    const service = redisService(foreignPort);
    await expect(service.up()).rejects.toThrow(`port ${foreignPort} is in use by another process`);
    expect((await service.status()).up).toBe(false);
  });

  it("starts, is idempotent, reports status and stops only its own process", async () => {
    const service = redisService(await freePort());
    try {
      expect(await service.up()).toBe("started");
      expect(await service.up()).toBe("already up");
      const status = await service.status();
      expect(status.up).toBe(true);
      expect(status.pid).toBeGreaterThan(0);
    } finally {
      expect(await service.down()).toBe("stopped");
    }
    expect(await service.down()).toBe("not running");
    expect((await service.status()).up).toBe(false);
  });

  it("recovers from a stale PID file left by a crash", async () => {
    const port = await freePort();
    mkdirSync(join(stateDir, "pids"), { recursive: true });
    // The PID of a process that has certainly exited.
    const dead = await new Promise<number>((resolve) => {
      const child = spawn("true");
      child.once("exit", () => resolve(child.pid as number));
    });
    writeFileSync(join(stateDir, "pids", "redis-under-test.pid"), `${dead}\n`);
    const service = redisService(port);
    try {
      expect(await service.up()).toBe("started");
      expect((await service.status()).pid).not.toBe(dead);
    } finally {
      await service.down();
    }
  });

  it("fails fast with the log tail when the binary cannot run", async () => {
    const service = redisService(await freePort(), "/nonexistent/redis-server");
    await expect(service.up()).rejects.toThrow("could not start /nonexistent/redis-server: not found or not executable");
  });
});
