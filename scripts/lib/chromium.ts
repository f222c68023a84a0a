/**
 * Debian's chromium for browser tests: found on PATH, or installed with apt when
 * we are root on Debian (the same path as the service packages), never downloaded
 * by playwright. Tests launch it through playwright-core with `chromiumLaunchOptions`.
 *
 * @example
 * const profile = mkdtempSync(join(tmpdir(), "chromium-"));
 * const context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions());
 */
import { existsSync } from "node:fs";
import { ensureDebianPackages, which } from "../services/debian.ts";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** The chromium binary if one is installed. */
export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env !== undefined && env !== "" && existsSync(env)) return env;
  return CANDIDATES.find((path) => existsSync(path)) ?? which("chromium");
}

/** The chromium binary, installing Debian's `chromium` package when missing (root on Debian only). */
export function ensureChromium(): string {
  ensureDebianPackages("chromium", ["chromium"], () => findChromium() !== undefined);
  const path = findChromium();
  if (path === undefined) throw new Error("chromium is missing after install");
  return path;
}

/**
 * Flags for a quiet, offline headless run: no GPU, no QUIC, no background
 * fetches (updates, sync, components). The fresh profile (--user-data-dir) is
 * the first argument of playwright's launchPersistentContext, which refuses it
 * among the args.
 */
export function chromiumArgs(): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
}

/** playwright-core launch options for Debian's chromium. */
export function chromiumLaunchOptions(): { executablePath: string; args: string[]; headless: boolean } {
  return { executablePath: ensureChromium(), args: chromiumArgs(), headless: true };
}
