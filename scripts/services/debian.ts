/**
 * Missing system packages: installed with apt when we are root on Debian,
 * otherwise a one-line instruction saying exactly what to install.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

let aptUpdated = false;

export class MissingPackageError extends Error {
  readonly code = "missing_package";
}

function canApt(): boolean {
  return process.getuid?.() === 0 && existsSync("/etc/debian_version") && existsSync("/usr/bin/apt-get");
}

/** Ensure `probe()` is true, installing the Debian packages if it is not and we may. */
export function ensureDebianPackages(what: string, packages: string[], probe: () => boolean): void {
  if (probe()) return;
  if (!canApt()) {
    throw new MissingPackageError(`${what} is missing: install it with \`apt-get install -y ${packages.join(" ")}\` (as root on Debian/Ubuntu)`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  console.log(`[services] installing ${packages.join(" ")} (apt-get)`);
  if (!aptUpdated) {
    execFileSync("apt-get", ["update", "-q"], { stdio: ["ignore", "ignore", "inherit"], env });
    aptUpdated = true;
  }
  execFileSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], { stdio: ["ignore", "ignore", "inherit"], env });
  if (!probe()) throw new MissingPackageError(`${what} is still missing after installing ${packages.join(" ")}`);
}

export function which(binary: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}
